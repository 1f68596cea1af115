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
    *out = NULL;
    *outLen = 0;
    if (width < 1 || height < 1) {
        if (err != NULL && errLen > 0) g_strlcpy(err, "test image needs a positive size", errLen);
        return -1;
    }
    VipsObject *scope = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(scope, 10);
    VipsImage *pixels = NULL;
    VipsImage *ready = NULL;
    VipsImage *channels[3];
    int result = -1;

    if (kind == CVIPS_TEST_SOLID) {
        double colour[3] = {200.0, 60.0, 40.0};
        double zero[3] = {0.0, 0.0, 0.0};
        if (vips_black(&t[0], width, height, "bands", 3, NULL) != 0) goto done;
        if (vips_linear(t[0], &t[1], zero, colour, 3, NULL) != 0) goto done;
        pixels = t[1];
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
        channels[0] = t[4];
        channels[1] = t[5];
        channels[2] = t[6];
        if (vips_bandjoin(channels, &t[7], 3, NULL) != 0) goto done;
        pixels = t[7];
    }
    if (vips_cast_uchar(pixels, &t[8], NULL) != 0) goto done;
    if (vips_copy(t[8], &t[9], "interpretation", VIPS_INTERPRETATION_sRGB, NULL) != 0) goto done;
    ready = t[9];

    switch (format) {
    case CVIPS_FORMAT_JPEG: result = vips_jpegsave_buffer(ready, out, outLen, "Q", 90, NULL); break;
    case CVIPS_FORMAT_PNG: result = vips_pngsave_buffer(ready, out, outLen, NULL); break;
    case CVIPS_FORMAT_WEBP: result = vips_webpsave_buffer(ready, out, outLen, "Q", 90, NULL); break;
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

void cvips_free(void *pointer) {
    g_free(pointer);
}
