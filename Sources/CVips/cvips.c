#include "CVips.h"

#include <string.h>
#include <vips/vips.h>

// libvips keeps one error buffer for the whole process. vips_error_buffer_copy takes its text and clears
// it under libvips' lock; when several threads fail at once a message may land with the wrong caller, so
// callers must decide from return codes and treat the text as detail only.
static void take_error(char *err, size_t errLen, const char *fallback) {
    if (err == NULL || errLen == 0) return;
    char *text = vips_error_buffer_copy();
    const char *source = (text != NULL && text[0] != '\0') ? text : fallback;
    g_strlcpy(err, source, errLen);
    // Trim libvips' trailing newline.
    size_t n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' ')) err[--n] = '\0';
    g_free(text);
}

static void ignore_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void)domain; (void)level; (void)message; (void)data;
}

static int init_result = -1;
static char init_error[256];

int cvips_init(int concurrency, char *err, size_t errLen) {
    static gsize once = 0;
    if (g_once_init_enter(&once)) {
        if (VIPS_INIT("enricher") != 0) {
            take_error(init_error, sizeof init_error, "VIPS_INIT failed");
            init_result = -1;
        } else {
            // Input buffers are borrowed from the caller for one call; a cached operation would keep a
            // pointer to them (and could answer for different bytes later placed at the same address).
            vips_cache_set_max(0);
            vips_cache_set_max_mem(0);
            vips_cache_set_max_files(0);
            vips_concurrency_set(concurrency < 1 ? 1 : concurrency);
            // Only the four formats the service accepts ever reach a decoder, whatever libvips sniffs.
            vips_operation_block_set("VipsForeignLoad", TRUE);
            vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
            vips_operation_block_set("VipsForeignLoadPng", FALSE);
            vips_operation_block_set("VipsForeignLoadWebp", FALSE);
            vips_operation_block_set("VipsForeignLoadNsgif", FALSE);
            // Decoders warn per bad scanline on stderr; failures are reported through fail_on instead.
            g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, ignore_log, NULL);
            init_result = 0;
        }
        g_once_init_leave(&once, 1);
    }
    if (init_result != 0 && err != NULL && errLen > 0) g_strlcpy(err, init_error, errLen);
    return init_result;
}

int cvips_probe(const void *buf, size_t len, int *width, int *height, char *loader, size_t loaderLen,
                char *err, size_t errLen) {
    // Sequential access keeps the load lazy: only the header is parsed here.
    VipsImage *image = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (image == NULL) {
        take_error(err, errLen, "libvips could not read the image header");
        return -1;
    }
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    if (loader != NULL && loaderLen > 0) {
        const char *name = NULL;
        if (vips_image_get_string(image, VIPS_META_LOADER, &name) != 0 || name == NULL) {
            vips_error_clear();
            name = "";
        }
        g_strlcpy(loader, name, loaderLen);
    }
    g_object_unref(image);
    return 0;
}

int cvips_decode_and_measure(const void *buf, size_t len, int maxSide, double *deviation,
                             char *err, size_t errLen) {
    VipsObject *scope = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(scope, 4);
    VipsImage *stats = NULL;
    VipsImage *opaque = NULL;
    double largest = 0.0;
    int result = -1;

    // thumbnail shrinks while decoding (JPEG DCT scaling, WebP scaled decode) but still reads every byte
    // of compressed data, and "fail_on=truncated" turns a premature end into an error. The image it
    // returns is lazy: the decode and therefore the failure happen in vips_stats below.
    if (vips_thumbnail_buffer((void *)buf, len, &t[0], maxSide < 1 ? 1 : maxSide,
                              "height", maxSide < 1 ? 1 : maxSide,
                              "option_string", "fail_on=truncated", NULL) != 0) goto done;
    if (vips_colourspace(t[0], &t[1], VIPS_INTERPRETATION_sRGB, NULL) != 0) goto done;
    opaque = t[1];
    if (vips_image_hasalpha(t[1])) {
        VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
        int failed = vips_flatten(t[1], &t[2], "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (failed != 0) goto done;
        opaque = t[2];
    }
    if (vips_stats(opaque, &stats, NULL) != 0) goto done;

    // vips_stats: row 0 covers all bands, row 1 + b covers band b; column 5 is the standard deviation.
    for (int band = 0; band < opaque->Bands; band++) {
        double sigma = *VIPS_MATRIX(stats, 5, band + 1);
        if (sigma > largest) largest = sigma;
    }
    *deviation = largest;
    result = 0;

done:
    if (result != 0) take_error(err, errLen, "libvips could not decode the image");
    if (stats != NULL) g_object_unref(stats);
    g_object_unref(scope);
    return result;
}

int cvips_encode_test_image(int width, int height, int kind, int format, void **out, size_t *outLen,
                            char *err, size_t errLen) {
    return cvips_encode_test_image_variant(width, height, kind, 0, format, 90, 1, 0, out, outLen, err, errLen);
}

// Three uchar bands joined into one sRGB image in `t[slot]`.
static int join3(VipsImage *r, VipsImage *g, VipsImage *b, VipsImage **out) {
    VipsImage *channels[3] = {r, g, b};
    return vips_bandjoin(channels, out, 3, NULL);
}

int cvips_encode_test_image_variant(int width, int height, int kind, int seed, int format, int quality,
                                    int orientation, int flags, void **out, size_t *outLen,
                                    char *err, size_t errLen) {
    *out = NULL;
    *outLen = 0;
    if (width < 1 || height < 1) {
        if (err != NULL && errLen > 0) g_strlcpy(err, "test image needs a positive size", errLen);
        return -1;
    }
    int q = quality < 1 ? 1 : (quality > 100 ? 100 : quality);
    VipsObject *scope = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(scope, 32);
    VipsImage *pixels = NULL;
    VipsImage *ready = NULL;
    int result = -1;

    if (kind == CVIPS_TEST_SOLID) {
        double colour[3] = {200.0, 60.0, 40.0};
        double zero[3] = {0.0, 0.0, 0.0};
        if (vips_black(&t[0], width, height, "bands", 3, NULL) != 0) goto done;
        if (vips_linear(t[0], &t[1], zero, colour, 3, NULL) != 0) goto done;
        pixels = t[1];
    } else if (kind == CVIPS_TEST_STRIPES) {
        // Six sine periods across: 0..255 grey, with blue the inverse so the stripes are coloured.
        if (vips_xyz(&t[0], width, height, NULL) != 0) goto done;
        if (vips_extract_band(t[0], &t[1], 0, NULL) != 0) goto done;
        if (vips_linear1(t[1], &t[2], 360.0 * 6.0 / width, 0.0, NULL) != 0) goto done;
        if (vips_sin(t[2], &t[3], NULL) != 0) goto done;
        if (vips_linear1(t[3], &t[4], 127.5, 127.5, NULL) != 0) goto done;
        if (vips_linear1(t[3], &t[5], -127.5, 127.5, NULL) != 0) goto done;
        if (join3(t[4], t[4], t[5], &t[6]) != 0) goto done;
        pixels = t[6];
    } else if (kind == CVIPS_TEST_QUADRANTS) {
        // right and bottom are 255 in the right and bottom halves. R = right == bottom (red top-left,
        // white bottom-right), G = right (green top-right), B = bottom (blue bottom-left).
        if (vips_xyz(&t[0], width, height, NULL) != 0) goto done;
        if (vips_extract_band(t[0], &t[1], 0, NULL) != 0) goto done;
        if (vips_extract_band(t[0], &t[2], 1, NULL) != 0) goto done;
        if (vips_moreeq_const1(t[1], &t[3], width / 2, NULL) != 0) goto done;
        if (vips_moreeq_const1(t[2], &t[4], height / 2, NULL) != 0) goto done;
        if (vips_equal(t[3], t[4], &t[5], NULL) != 0) goto done;
        if (join3(t[5], t[3], t[4], &t[6]) != 0) goto done;
        pixels = t[6];
    } else if (kind == CVIPS_TEST_NOISE) {
        // Smooth colour clouds, one Perlin field per band, plus fine grain so JPEGs weigh what photos do.
        int cell = (width > height ? width : height) / 6;
        if (cell < 8) cell = 8;
        if (vips_perlin(&t[0], width, height, "cell_size", cell, "uchar", TRUE, "seed", seed * 3, NULL) != 0) goto done;
        if (vips_perlin(&t[1], width, height, "cell_size", cell, "uchar", TRUE, "seed", seed * 3 + 1, NULL) != 0) goto done;
        if (vips_perlin(&t[2], width, height, "cell_size", cell / 2 + 1, "uchar", TRUE, "seed", seed * 3 + 2, NULL) != 0) goto done;
        if (join3(t[0], t[1], t[2], &t[3]) != 0) goto done;
        if (vips_gaussnoise(&t[4], width, height, "mean", 0.0, "sigma", 6.0, "seed", seed, NULL) != 0) goto done;
        if (vips_add(t[3], t[4], &t[5], NULL) != 0) goto done;
        pixels = t[5];
    } else {
        // Red follows x, green follows y, blue follows x + y: neighbouring pixels differ.
        int sum = width + height - 2;
        if (vips_xyz(&t[0], width, height, NULL) != 0) goto done;
        if (vips_extract_band(t[0], &t[1], 0, NULL) != 0) goto done;
        if (vips_extract_band(t[0], &t[2], 1, NULL) != 0) goto done;
        if (vips_add(t[1], t[2], &t[3], NULL) != 0) goto done;
        if (vips_linear1(t[1], &t[4], 255.0 / (width > 1 ? width - 1 : 1), 0.0, NULL) != 0) goto done;
        if (vips_linear1(t[2], &t[5], 255.0 / (height > 1 ? height - 1 : 1), 0.0, NULL) != 0) goto done;
        if (vips_linear1(t[3], &t[6], 255.0 / (sum > 0 ? sum : 1), 0.0, NULL) != 0) goto done;
        if (join3(t[4], t[5], t[6], &t[7]) != 0) goto done;
        pixels = t[7];
    }
    if (vips_cast_uchar(pixels, &t[10], NULL) != 0) goto done;
    if (vips_copy(t[10], &t[11], "interpretation", VIPS_INTERPRETATION_sRGB, NULL) != 0) goto done;
    ready = t[11];

    if (flags & CVIPS_VARIANT_ALPHA) {
        // Alpha 0 left of the middle, 255 from it on.
        if (vips_xyz(&t[12], width, height, NULL) != 0) goto done;
        if (vips_extract_band(t[12], &t[13], 0, NULL) != 0) goto done;
        if (vips_moreeq_const1(t[13], &t[14], width / 2, NULL) != 0) goto done;
        if (vips_bandjoin2(ready, t[14], &t[15], NULL) != 0) goto done;
        if (vips_copy(t[15], &t[16], "interpretation", VIPS_INTERPRETATION_sRGB, NULL) != 0) goto done;
        ready = t[16];
    }
    if (flags & CVIPS_VARIANT_16BIT) {
        if (vips_linear1(ready, &t[17], 257.0, 0.0, NULL) != 0) goto done;
        if (vips_cast_ushort(t[17], &t[18], NULL) != 0) goto done;
        if (vips_copy(t[18], &t[19], "interpretation", VIPS_INTERPRETATION_RGB16, NULL) != 0) goto done;
        ready = t[19];
    }
    if (flags & CVIPS_VARIANT_CMYK) {
        // Through libvips' generic CMYK profile, which it also embeds: a CMYK JPEG as printers make them.
        if (vips_colourspace(ready, &t[20], VIPS_INTERPRETATION_CMYK, NULL) != 0) goto done;
        ready = t[20];
    }
    if (orientation > 1 && orientation <= 8) {
        // jpegsave writes the orientation field into the EXIF block it saves.
        if (vips_copy(ready, &t[21], NULL) != 0) goto done;
        vips_image_set_int(t[21], VIPS_META_ORIENTATION, orientation);
        ready = t[21];
    }

    switch (format) {
    case CVIPS_FORMAT_JPEG: result = vips_jpegsave_buffer(ready, out, outLen, "Q", q, NULL); break;
    case CVIPS_FORMAT_PNG: result = vips_pngsave_buffer(ready, out, outLen, NULL); break;
    case CVIPS_FORMAT_WEBP: result = vips_webpsave_buffer(ready, out, outLen, "Q", q, NULL); break;
    case CVIPS_FORMAT_GIF: result = vips_gifsave_buffer(ready, out, outLen, NULL); break;
    default:
        vips_error("cvips", "unknown format %d", format);
        result = -1;
    }

done:
    if (result != 0) {
        take_error(err, errLen, "libvips could not encode the test image");
        g_free(*out);
        *out = NULL;
        *outLen = 0;
    }
    g_object_unref(scope);
    return result;
}

// Metadata a rendition never carries. jpegsave's "strip" drops it from JPEG, but webpsave in libvips 8.14
// writes EXIF and ICC even with "strip" set (checked: `vips webpsave in.jpg out.webp --strip` kept
// exif-data), so renditions lose it from the image itself before saving, whatever the format.
static const char *const stripped_prefixes[] = {
    "exif-", "xmp-", "iptc-", "icc-", "png-comment-", "gif-comment", VIPS_META_ORIENTATION, NULL,
};

// Removes every field named by stripped_prefixes from `image`, which the caller owns alone.
static void remove_metadata(VipsImage *image) {
    gchar **fields = vips_image_get_fields(image);
    for (int i = 0; fields[i] != NULL; i++) {
        for (int p = 0; stripped_prefixes[p] != NULL; p++) {
            if (vips_isprefix(stripped_prefixes[p], fields[i])) {
                vips_image_remove(image, fields[i]);
                break;
            }
        }
    }
    g_strfreev(fields);
}

int cvips_render(const void *buf, size_t len, int longSide, int format, int quality,
                 const double background[3], void **out, size_t *outLen, int *width, int *height,
                 char *err, size_t errLen) {
    *out = NULL;
    *outLen = 0;
    int side = longSide < 1 ? VIPS_MAX_COORD : longSide;
    int q = quality < 1 ? 1 : (quality > 100 ? 100 : quality);
    VipsObject *scope = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(scope, 8);
    VipsImage *in = NULL;
    int result = -1;

    if (format != CVIPS_FORMAT_JPEG && format != CVIPS_FORMAT_WEBP) {
        vips_error("cvips", "renditions are JPEG or WebP, not format %d", format);
        goto done;
    }
    // The header alone (lazy, no pixels): an embedded ICC profile (Adobe RGB, Display P3, a printer's
    // CMYK) must be honoured, so thumbnail then transforms through it to sRGB. Without one it converts
    // with vips_colourspace (CMYK through libvips' generic CMYK profile) and an export profile would
    // only add a needless XYZ round trip.
    t[0] = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (t[0] == NULL) goto done;
    // Shrink-on-load (JPEG DCT scaling, WebP scaled decode), never enlarging; thumbnail applies the EXIF
    // orientation itself (no_rotate is false by default).
    if (vips_image_get_typeof(t[0], VIPS_META_ICC_NAME) != 0) {
        if (vips_thumbnail_buffer((void *)buf, len, &t[1], side, "height", side, "size", VIPS_SIZE_DOWN,
                                  "export_profile", "srgb", NULL) != 0) goto done;
    } else {
        if (vips_thumbnail_buffer((void *)buf, len, &t[1], side, "height", side, "size", VIPS_SIZE_DOWN,
                                  NULL) != 0) goto done;
    }
    in = t[1];
    // Greyscale comes out as B_W: renditions are always 3-band (plus alpha) 8-bit sRGB.
    if (vips_image_get_interpretation(in) != VIPS_INTERPRETATION_sRGB) {
        if (vips_colourspace(in, &t[2], VIPS_INTERPRETATION_sRGB, NULL) != 0) goto done;
        in = t[2];
    }
    if (vips_image_get_format(in) != VIPS_FORMAT_UCHAR) {
        if (vips_cast_uchar(in, &t[3], NULL) != 0) goto done;
        in = t[3];
    }
    if (format == CVIPS_FORMAT_JPEG && vips_image_hasalpha(in)) {
        VipsArrayDouble *colour = vips_array_double_new(background, 3);
        int failed = vips_flatten(in, &t[4], "background", colour, NULL);
        vips_area_unref(VIPS_AREA(colour));
        if (failed != 0) goto done;
        if (vips_cast_uchar(t[4], &t[5], NULL) != 0) goto done;
        in = t[5];
    }
    // No EXIF (its orientation is already applied), XMP, IPTC or ICC profile: the pixels are sRGB, which
    // is what a browser assumes of an untagged image.
    if (vips_copy(in, &t[6], NULL) != 0) goto done;
    in = t[6];
    remove_metadata(in);
    if (format == CVIPS_FORMAT_JPEG) {
        result = vips_jpegsave_buffer(in, out, outLen, "Q", q, "strip", TRUE, NULL);
    } else {
        result = vips_webpsave_buffer(in, out, outLen, "Q", q, "strip", TRUE, NULL);
    }
    if (result == 0) {
        *width = vips_image_get_width(in);
        *height = vips_image_get_height(in);
    }

done:
    if (result != 0) {
        take_error(err, errLen, "libvips could not make the rendition");
        g_free(*out);
        *out = NULL;
        *outLen = 0;
    }
    g_object_unref(scope);
    return result;
}

int cvips_grey_thumbnail(const void *buf, size_t len, int width, int height, unsigned char *pixels,
                         char *err, size_t errLen) {
    VipsObject *scope = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(scope, 6);
    VipsImage *in = NULL;
    void *memory = NULL;
    size_t size = 0;
    int result = -1;

    if (width < 1 || height < 1) {
        vips_error("cvips", "grey thumbnail needs a positive size");
        goto done;
    }
    // FORCE: exactly 8 * width x 8 * height whatever the aspect ratio, still shrinking on load. thumbnail
    // reduces with lanczos3, which rings for a few output pixels beside a sharp edge; an 8 x 8 box average
    // after it leaves every sample a plain mean of its area, so flat areas come out flat.
    if (vips_thumbnail_buffer((void *)buf, len, &t[0], width * 8, "height", height * 8,
                              "size", VIPS_SIZE_FORCE, NULL) != 0) goto done;
    if (vips_shrink(t[0], &t[5], 8.0, 8.0, NULL) != 0) goto done;
    if (vips_colourspace(t[5], &t[1], VIPS_INTERPRETATION_sRGB, NULL) != 0) goto done;
    in = t[1];
    if (vips_image_hasalpha(in)) {
        VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
        int failed = vips_flatten(in, &t[2], "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (failed != 0) goto done;
        in = t[2];
    }
    if (vips_colourspace(in, &t[3], VIPS_INTERPRETATION_B_W, NULL) != 0) goto done;
    if (vips_cast_uchar(t[3], &t[4], NULL) != 0) goto done;
    in = t[4];
    if (in->Xsize != width || in->Ysize != height || in->Bands != 1) {
        vips_error("cvips", "grey thumbnail came out %dx%d with %d bands", in->Xsize, in->Ysize, in->Bands);
        goto done;
    }
    memory = vips_image_write_to_memory(in, &size);
    if (memory == NULL) goto done;
    if (size != (size_t)width * (size_t)height) {
        vips_error("cvips", "grey thumbnail holds %zu bytes", size);
        goto done;
    }
    memcpy(pixels, memory, size);
    result = 0;

done:
    if (result != 0) take_error(err, errLen, "libvips could not shrink the image");
    g_free(memory);
    g_object_unref(scope);
    return result;
}

int cvips_describe(const void *buf, size_t len, cvips_description *info, char *err, size_t errLen) {
    VipsImage *image = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (image == NULL) {
        take_error(err, errLen, "libvips could not read the image header");
        return -1;
    }
    info->width = vips_image_get_width(image);
    info->height = vips_image_get_height(image);
    info->bands = vips_image_get_bands(image);
    switch (vips_image_get_interpretation(image)) {
    case VIPS_INTERPRETATION_sRGB: info->space = CVIPS_SPACE_SRGB; break;
    case VIPS_INTERPRETATION_CMYK: info->space = CVIPS_SPACE_CMYK; break;
    case VIPS_INTERPRETATION_RGB16: info->space = CVIPS_SPACE_RGB16; break;
    case VIPS_INTERPRETATION_B_W: info->space = CVIPS_SPACE_BW; break;
    case VIPS_INTERPRETATION_GREY16: info->space = CVIPS_SPACE_GREY16; break;
    default: info->space = CVIPS_SPACE_OTHER; break;
    }
    info->bitsPerSample = (int)(vips_format_sizeof(vips_image_get_format(image)) * 8);
    info->orientation = vips_image_get_orientation(image);
    info->hasExif = vips_image_get_typeof(image, VIPS_META_EXIF_NAME) != 0;
    info->hasXmp = vips_image_get_typeof(image, VIPS_META_XMP_NAME) != 0;
    info->hasIptc = vips_image_get_typeof(image, VIPS_META_IPTC_NAME) != 0;
    info->hasIcc = vips_image_get_typeof(image, VIPS_META_ICC_NAME) != 0;
    g_object_unref(image);
    return 0;
}

int cvips_pixel(const void *buf, size_t len, int x, int y, double *values, int capacity, int *bands,
                char *err, size_t errLen) {
    VipsImage *image = vips_image_new_from_buffer(buf, len, "", NULL);
    double *vector = NULL;
    int n = 0;
    if (image == NULL) {
        take_error(err, errLen, "libvips could not read the image");
        return -1;
    }
    if (vips_getpoint(image, &vector, &n, x, y, NULL) != 0) {
        take_error(err, errLen, "libvips could not read the pixel");
        g_object_unref(image);
        return -1;
    }
    for (int i = 0; i < n && i < capacity; i++) values[i] = vector[i];
    *bands = n;
    g_free(vector);
    g_object_unref(image);
    return 0;
}

void cvips_free(void *pointer) {
    g_free(pointer);
}
