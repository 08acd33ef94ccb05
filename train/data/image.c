/* Images: PNG (libpng's simplified API, which reports errors as messages instead of longjmp), raw uint8
 * files of a given H x W x C, and MNIST IDX pairs (images idx3-ubyte, labels idx1-ubyte). */
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_IMAGE_BYTES (1u << 28)

static float pixel(const ds_options *opt, unsigned v)
{
    return opt->raw_uint8 ? (float)v : (float)v / 255.0f;
}

/* The H, W, C an image must have: the dataset's once set, else the options' (0: the file's own). */
static void expected_shape(const ds_dataset *ds, const ds_options *opt, int *h, int *w, int *c)
{
    if (ds->rank) {
        *h = ds->dims[0];
        *w = ds->dims[1];
        *c = ds->dims[2];
    } else {
        *h = opt->height;
        *w = opt->width;
        *c = opt->image_channels;
    }
}

static int add_pixels(ds_dataset *ds, const char *path, const ds_options *opt, const unsigned char *pix,
                      int32_t label, int32_t group, uint8_t split, char *err, size_t errlen)
{
    int32_t src = ds__source(ds, path);
    float *x = src < 0 ? NULL : ds__add(ds, label, group, split, src, 0);
    if (!x) return ds__err(err, errlen, "%s: out of memory", path);
    for (size_t i = 0; i < ds->example_size; i++) x[i] = pixel(opt, pix[i]);
    return 0;
}

/* libpng's simplified reader stops after the image data, so a file cut inside its final IEND chunk reads
 * fine; the spec ends every PNG with that 12-byte chunk, so it is checked here. */
static int png_has_end(const char *path, char *err, size_t errlen)
{
    static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    unsigned char tail[12];
    FILE *f = fopen(path, "rb");
    if (!f) return ds__err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    bool ok = fseek(f, -12, SEEK_END) == 0 && fread(tail, 1, 12, f) == 12 && !memcmp(tail, iend, 12);
    fclose(f);
    return ok ? 0 : ds__err(err, errlen, "%s: truncated or corrupt PNG: it does not end with an IEND chunk", path);
}

static int png_example(ds_dataset *ds, const char *path, const ds_options *opt, int32_t label,
                       int32_t group, uint8_t split, char *err, size_t errlen)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path))
        return ds__err(err, errlen, "%s: corrupt or not a PNG: %s", path, img.message);
    int h, w, c, rc = -1;
    unsigned char *buf = NULL;
    if (png_has_end(path, err, errlen)) goto out;
    expected_shape(ds, opt, &h, &w, &c);
    if (!c) c = (img.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
    if (c != 1 && c != 3 && c != 4) {
        ds__err(err, errlen, "%s: %d channels asked for; PNG images give 1 (gray), 3 (RGB) or 4 (RGBA)", path, c);
        goto out;
    }
    if ((h && (png_uint_32)h != img.height) || (w && (png_uint_32)w != img.width)) {
        ds__err(err, errlen, "%s: image is %ux%u (HxW), expected %dx%d", path, (unsigned)img.height,
                (unsigned)img.width, h, w);
        goto out;
    }
    if ((size_t)img.height * img.width * (size_t)c > MAX_IMAGE_BYTES) {
        ds__err(err, errlen, "%s: image of %ux%u is too large", path, (unsigned)img.height, (unsigned)img.width);
        goto out;
    }
    img.format = c == 1 ? PNG_FORMAT_GRAY : c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
    if (!(buf = malloc(PNG_IMAGE_SIZE(img)))) {
        ds__err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    if (!png_image_finish_read(&img, NULL, buf, 0, NULL)) {
        ds__err(err, errlen, "%s: corrupt PNG: %s", path, img.message);
        goto out;
    }
    if (!ds->rank) ds__shape(ds, 3, (int)img.height, (int)img.width, c);
    rc = add_pixels(ds, path, opt, buf, label, group, split, err, errlen);
out:
    png_image_free(&img);
    free(buf);
    return rc;
}

/* The whole of a file, at most `limit` bytes. */
static unsigned char *read_all(const char *path, size_t limit, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ds__err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    unsigned char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        ds__err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    } else if ((unsigned long)size > limit) {
        ds__err(err, errlen, "%s: %ld bytes is too large", path, size);
    } else if (!(buf = malloc((size_t)size + 1))) {
        ds__err(err, errlen, "%s: out of memory", path);
    } else if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        ds__err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        free(buf);
        buf = NULL;
    } else {
        *len = (size_t)size;
    }
    fclose(f);
    return buf;
}

static int raw_example(ds_dataset *ds, const char *path, const ds_options *opt, int32_t label,
                       int32_t group, uint8_t split, char *err, size_t errlen)
{
    int h, w, c;
    expected_shape(ds, opt, &h, &w, &c);
    if (!c) c = 1;
    if (h <= 0 || w <= 0)
        return ds__err(err, errlen, "%s: a raw image needs its height and width given", path);
    size_t want = (size_t)h * (size_t)w * (size_t)c, len = 0;
    if (want > MAX_IMAGE_BYTES) return ds__err(err, errlen, "%s: image of %dx%dx%d is too large", path, h, w, c);
    unsigned char *buf = read_all(path, MAX_IMAGE_BYTES, &len, err, errlen);
    if (!buf) return -1;
    int rc;
    if (len != want) {
        rc = ds__err(err, errlen, "%s: raw image of %zu bytes, expected %dx%dx%d = %zu", path, len, h, w, c, want);
    } else {
        if (!ds->rank) ds__shape(ds, 3, h, w, c);
        rc = add_pixels(ds, path, opt, buf, label, group, split, err, errlen);
    }
    free(buf);
    return rc;
}

int ds__image_example(ds_dataset *ds, const char *path, const ds_options *opt, int32_t label,
                      int32_t group, uint8_t split, char *err, size_t errlen)
{
    if (!ds__is_file(path))
        return ds__err(err, errlen, "%s: cannot open: %s", path, ds__is_dir(path) ? "is a directory" : strerror(errno));
    if (ds__ends_with(path, ".png")) return png_example(ds, path, opt, label, group, split, err, errlen);
    return raw_example(ds, path, opt, label, group, split, err, errlen);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* An IDX file of unsigned bytes with `rank` dimensions: its dims and where its data starts. */
static int idx_header(const char *path, const unsigned char *buf, size_t len, int rank, uint32_t *dims,
                      char *err, size_t errlen)
{
    size_t head = 4 + 4 * (size_t)rank;
    if (len < 4) return ds__err(err, errlen, "%s: truncated: %zu bytes, too short for an IDX header", path, len);
    uint32_t magic = be32(buf), want = 0x0800u | (uint32_t)rank;
    if (magic != want)
        return ds__err(err, errlen, "%s: bad IDX magic 0x%08x, expected 0x%08x (unsigned bytes, %d dimension%s)",
                       path, magic, want, rank, rank > 1 ? "s" : "");
    if (len < head) return ds__err(err, errlen, "%s: truncated: %zu bytes, too short for an IDX header", path, len);
    uint64_t total = 1;
    for (int d = 0; d < rank; d++) {
        dims[d] = be32(buf + 4 + 4 * d);
        total *= dims[d] ? dims[d] : 1;
        if (dims[d] == 0 || total > ((uint64_t)1 << 34))
            return ds__err(err, errlen, "%s: IDX dimension %d is %u", path, d, dims[d]);
    }
    if (len - head != total)
        return ds__err(err, errlen, "%s: %s: the header promises %llu bytes of data, the file holds %zu", path,
                       len - head < total ? "truncated" : "trailing bytes", (unsigned long long)total, len - head);
    return 0;
}

int ds_load_idx(const char *images, const char *labels, const ds_options *opt_in, ds_dataset **out,
                char *err, size_t errlen)
{
    ds_options dflt = {0};
    const ds_options *opt = opt_in ? opt_in : &dflt;
    *out = NULL;
    size_t ilen = 0, llen = 0;
    unsigned char *ib = read_all(images, (size_t)1 << 33, &ilen, err, errlen), *lb = NULL;
    ds_dataset *ds = NULL;
    int rc = -1;
    uint32_t idims[3] = {0}, ldims[1] = {0};
    if (!ib || idx_header(images, ib, ilen, 3, idims, err, errlen)) goto done;
    if (!(lb = read_all(labels, (size_t)1 << 31, &llen, err, errlen))) goto done;
    if (idx_header(labels, lb, llen, 1, ldims, err, errlen)) goto done;
    if (ldims[0] != idims[0]) {
        ds__err(err, errlen, "%s: %u labels for the %u images of %s", labels, ldims[0], idims[0], images);
        goto done;
    }
    if (idims[1] > 65536 || idims[2] > 65536 || idims[0] > INT32_MAX) {
        ds__err(err, errlen, "%s: images of %ux%u are too large", images, idims[1], idims[2]);
        goto done;
    }
    if (!(ds = ds__new(DS_IMAGE))) {
        ds__err(err, errlen, "%s: out of memory", images);
        goto done;
    }
    if (ds__fixed_labels(ds, opt, err, errlen)) goto done;
    int fixed = ds->n_labels, top = -1;
    for (uint32_t i = 0; i < ldims[0]; i++) {
        int v = lb[8 + i];
        if (fixed && v >= fixed) {
            ds__err(err, errlen, "%s: example %u has label %d, but only %d labels are named", labels, i, v, fixed);
            goto done;
        }
        if (v > top) top = v;
    }
    for (int v = 0; !fixed && v <= top; v++) {
        char name[16];
        snprintf(name, sizeof name, "%d", v);
        if (ds__label(ds, name) < 0) {
            ds__err(err, errlen, "%s: out of memory", labels);
            goto done;
        }
    }
    ds__shape(ds, 3, (int)idims[1], (int)idims[2], 1);
    int32_t src = ds__source(ds, images);
    for (uint32_t i = 0; i < idims[0]; i++) {
        int32_t g = ds__group(ds, NULL);
        float *x = src < 0 || g < 0 ? NULL : ds__add(ds, lb[8 + i], g, DS_SPLIT_UNSET, src, (int32_t)i);
        if (!x) {
            ds__err(err, errlen, "%s: out of memory", images);
            goto done;
        }
        const unsigned char *p = ib + 16 + (size_t)i * ds->example_size;
        for (size_t k = 0; k < ds->example_size; k++) x[k] = pixel(opt, p[k]);
    }
    if (ds__finish(ds, opt, labels, err, errlen)) goto done;
    *out = ds;
    ds = NULL;
    rc = 0;
done:
    ds_free(ds);
    free(ib);
    free(lb);
    return rc;
}
