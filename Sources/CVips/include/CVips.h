// A plain-function C surface over libvips' variadic API, for the Images module.
//
// Only plain C types cross this boundary (no GLib or libvips types), so Swift sees a small, stable API.
// Every function that can fail returns 0 on success and -1 on failure, and then copies libvips' error
// text into `err` (at most `errLen` bytes, always NUL-terminated).
//
// Input buffers are borrowed for the duration of the call only: nothing here keeps a pointer to them
// after returning (the operation cache is disabled in cvips_init for exactly this reason).

#ifndef CVIPS_H
#define CVIPS_H

#include <stddef.h>

// Image formats the shim loads and saves. Loading is restricted to these four loaders.
#define CVIPS_FORMAT_JPEG 0
#define CVIPS_FORMAT_PNG 1
#define CVIPS_FORMAT_WEBP 2
#define CVIPS_FORMAT_GIF 3

// Kinds of generated test image for cvips_encode_test_image.
#define CVIPS_TEST_GRADIENT 0
#define CVIPS_TEST_SOLID 1
/// Soft sine stripes (vertical, six periods across), grey.
#define CVIPS_TEST_STRIPES 2
/// Four flat quadrants: top-left red, top-right green, bottom-left blue, bottom-right white.
#define CVIPS_TEST_QUADRANTS 3
/// Seeded colour clouds (Perlin noise) with fine grain, like a photo: a different picture per seed.
#define CVIPS_TEST_NOISE 4

// Variations for cvips_encode_test_image_variant (bit flags).
/// Converted to CMYK before saving (JPEG only): a 4-band CMYK JPEG.
#define CVIPS_VARIANT_CMYK 1
/// An alpha band: the left half fully transparent, the right half opaque.
#define CVIPS_VARIANT_ALPHA 2
/// 16 bits per sample (RGB16; PNG only).
#define CVIPS_VARIANT_16BIT 4

// Colour spaces and what cvips_describe reports.
#define CVIPS_SPACE_SRGB 0
#define CVIPS_SPACE_CMYK 1
#define CVIPS_SPACE_RGB16 2
#define CVIPS_SPACE_BW 3
#define CVIPS_SPACE_GREY16 4
#define CVIPS_SPACE_OTHER 5

/// What an encoded image holds, read from its header (no pixels decoded).
typedef struct {
    int width;
    int height;
    int bands;
    /// CVIPS_SPACE_*.
    int space;
    /// 8 for uchar samples, 16 for ushort, and so on.
    int bitsPerSample;
    /// The EXIF orientation tag (1 when absent).
    int orientation;
    int hasExif;
    int hasXmp;
    int hasIptc;
    int hasIcc;
} cvips_description;

/// Starts libvips once per process (thread-safe; later calls return the first call's result).
/// `concurrency` is libvips' worker threads per operation (values below 1 become 1). Also disables
/// libvips' operation cache, blocks every loader except JPEG/PNG/WebP/GIF and silences its warnings.
int cvips_init(int concurrency, char *err, size_t errLen);

/// Reads only the header of an image: no pixels are decoded, so a huge declared size costs nothing.
/// `loader` receives libvips' loader nickname (for example "jpegload_buffer").
int cvips_probe(const void *buf, size_t len, int *width, int *height, char *loader, size_t loaderLen,
                char *err, size_t errLen);

/// Decodes every pixel of the image (failing when the data ends early or the decoder reports an error),
/// shrinking it while it decodes to fit `maxSide` x `maxSide`, and measures how much its colour varies: `deviation` is the
/// largest per-band standard deviation (0-255 scale) of the shrunk image, flattened onto white, in sRGB.
int cvips_decode_and_measure(const void *buf, size_t len, int maxSide, double *deviation,
                             char *err, size_t errLen);

/// Generates a test image (`kind`: CVIPS_TEST_*) of `width` x `height` and encodes it as `format`
/// (CVIPS_FORMAT_*). On success `*out` holds `*outLen` bytes, to be released with cvips_free.
int cvips_encode_test_image(int width, int height, int kind, int format, void **out, size_t *outLen,
                            char *err, size_t errLen);

/// cvips_encode_test_image with more control: `seed` varies CVIPS_TEST_NOISE, `quality` is the JPEG/WebP
/// Q (1-100), `orientation` (1-8) is written as the EXIF orientation tag when it is not 1 (JPEG only),
/// and `flags` are CVIPS_VARIANT_* bits.
int cvips_encode_test_image_variant(int width, int height, int kind, int seed, int format, int quality,
                                    int orientation, int flags, void **out, size_t *outLen,
                                    char *err, size_t errLen);

/// Makes one rendition: shrink-on-load to fit `longSide` x `longSide` (never enlarging; `longSide` < 1
/// keeps the full size), EXIF orientation applied, converted to 8-bit sRGB (CMYK through its embedded or
/// a generic profile, other embedded profiles honoured), alpha flattened onto `background` (r, g, b,
/// 0-255) for JPEG and kept for WebP, saved as `format` (CVIPS_FORMAT_JPEG or _WEBP) at `quality` with
/// every metadata item (EXIF, XMP, IPTC, ICC) stripped. On success `*out` holds `*outLen` bytes, to be
/// released with cvips_free, and `width` / `height` the rendition's size.
int cvips_render(const void *buf, size_t len, int longSide, int format, int quality,
                 const double background[3], void **out, size_t *outLen, int *width, int *height,
                 char *err, size_t errLen);

/// Shrinks the upright image to exactly `width` x `height` (ignoring its aspect ratio, shrinking on
/// load), flattened onto white, as 8-bit greyscale into `pixels` (`width` * `height` bytes, row-major).
int cvips_grey_thumbnail(const void *buf, size_t len, int width, int height, unsigned char *pixels,
                         char *err, size_t errLen);

/// Reads the header of an image into `info` (no pixels decoded).
int cvips_describe(const void *buf, size_t len, cvips_description *info, char *err, size_t errLen);

/// Decodes the image and reads the pixel at (`x`, `y`): up to `capacity` band values into `values`,
/// the image's band count into `*bands`.
int cvips_pixel(const void *buf, size_t len, int x, int y, double *values, int capacity, int *bands,
                char *err, size_t errLen);

/// Frees memory returned by this shim.
void cvips_free(void *pointer);

#endif
