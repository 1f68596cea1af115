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

/// Frees memory returned by this shim.
void cvips_free(void *pointer);

#endif
