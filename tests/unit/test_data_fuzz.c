/* Robustness of train/data: truncated and garbled versions of a real WAV, sensor log, PNG, IDX file,
 * manifest and gzip'd table. Every version either loads into sane values or fails with one line naming
 * the file; none may crash (run under ASan/UBSan by make test-asan). Seeded, so every run is the same. */
#define _XOPEN_SOURCE 700
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <zlib.h>

#include "data_fixtures.h"

static char err[1024];

/* Damages n bytes of b[from, len) with values a parser finds awkward. */
static void garble(unsigned char *b, size_t from, size_t len, int n, ds_rng *r)
{
    static const unsigned char awkward[] = {0, 0xff, 0x80, 0x7f, ',', '"', '\n', '\r', ' ', 'n', 'a', '-',
                                            '.', 'e', '9', '0'};
    for (int k = 0; k < n && len > from; k++) {
        size_t at = from + ds_rng_below(r, (uint32_t)(len - from));
        b[at] = ds_rng_below(r, 2) ? awkward[ds_rng_below(r, sizeof awkward)] : (unsigned char)ds_rng_below(r, 256);
    }
}

/* Loads dir; on success the examples must be finite (and in [lo, hi]), on failure err must name `name`. */
static int load_checked(const char *dir, const ds_options *o, const char *name, float lo, float hi)
{
    ds_dataset *ds = NULL;
    err[0] = 0;
    int rc = ds_load(dir, o, &ds, err, sizeof err);
    if (rc == 0) {
        assert_non_null(ds);
        assert_true(ds->n > 0);
        for (size_t i = 0; i < ds->n * ds->example_size; i++)
            assert_true(isfinite(ds->x[i]) && ds->x[i] >= lo && ds->x[i] <= hi);
        ds_free(ds);
    } else {
        assert_null(ds);
        assert_err_has(err, name);
    }
    return rc;
}

static void wav_truncated_and_garbled(void **state)
{
    (void)state;
    size_t n;
    unsigned char *orig = fx_read(FSDD "/recordings/0_george_0.wav", &n), *b = malloc(n);
    assert_non_null(b);
    char *dir = fx_tmpdir(), *path = fx_path(dir, "c/x.wav");
    fx_mkdir(dir, "c");
    /* Every cut of the header, then every 11th byte: each is an error naming the file. */
    for (size_t keep = 0; keep < n; keep += keep < 64 ? 1 : 11) {
        fx_write(dir, "c/x.wav", orig, keep);
        float *s = NULL;
        size_t frames;
        int rate;
        assert_int_equal(ds_read_wav(path, &s, &frames, &rate, err, sizeof err), -1);
        assert_null(s);
        assert_err_has(err, path);
        assert_true(strstr(err, "truncated") || strstr(err, "corrupt"));
        assert_int_equal(load_checked(dir, NULL, "c/x.wav", -1, 1), -1);
    }
    ds_rng r;
    ds_rng_seed(&r, 12);
    int failed = 0;
    for (int t = 0; t < 400; t++) {
        memcpy(b, orig, n);
        garble(b, 0, t % 2 ? 64 : n, 1 + t % 8, &r);
        fx_write(dir, "c/x.wav", b, n);
        failed += load_checked(dir, NULL, "c/x.wav", -1, 1) != 0;
    }
    assert_true(failed > 0);
    free(path);
    free(b);
    free(orig);
    fx_rmtree(dir);
}

static void sensor_log_truncated_and_garbled(void **state)
{
    (void)state;
    size_t n;
    unsigned char *orig = fx_read(STHAR "/walking/walking_01_26Hz_4g_mg.csv", &n), *b = malloc(n);
    assert_non_null(b);
    char *dir = fx_tmpdir();
    fx_mkdir(dir, "walking");
    int failed = 0, loaded = 0;
    for (size_t keep = 0; keep < n; keep += 97) {
        fx_write(dir, "walking/r.csv", orig, keep);
        int rc = load_checked(dir, NULL, "walking/r.csv", -4000, 4000);
        failed += rc != 0, loaded += rc == 0;
    }
    assert_true(failed > 0 && loaded > 0);   /* short cuts have no full window; longer ones load */
    ds_rng r;
    ds_rng_seed(&r, 34);
    failed = 0;
    for (int t = 0; t < 300; t++) {
        memcpy(b, orig, n);
        garble(b, 0, n, 1 + t % 5, &r);
        fx_write(dir, "walking/r.csv", b, n);
        if (load_checked(dir, NULL, "walking/r.csv", -1e30f, 1e30f)) {
            failed++;
            /* A damaged line is named by number. */
            assert_true(strstr(err, "r.csv:") != NULL);
        }
    }
    assert_true(failed > 200);
    free(b);
    free(orig);
    fx_rmtree(dir);
}

static void manifest_and_table_garbled(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    fx_wav(dir, "a.wav", 8000, 1, 16, 64);
    const char *m = "file,label,speaker,split\na.wav,yes,s1,train\na.wav,no,s2,test\na.wav,yes,s3,validation\n"
                    "a.wav,no,s1,train\n";
    size_t n = strlen(m);
    unsigned char *b = malloc(n);
    assert_non_null(b);
    ds_rng r;
    ds_rng_seed(&r, 56);
    for (int t = 0; t < 300; t++) {
        memcpy(b, m, n);
        garble(b, 0, n, 1 + t % 4, &r);
        fx_write(dir, "metadata.csv", b, t % 3 ? n : (size_t)ds_rng_below(&r, (uint32_t)n));
        load_checked(dir, NULL, "metadata.csv", -1, 1);
    }
    fx_rmtree(dir);
    free(b);

    /* A gzip'd table, garbled in its compressed bytes. */
    dir = fx_tmpdir();
    char *gz = fx_path(dir, "t.csv.gz");
    gzFile g = gzopen(gz, "wb");
    for (int k = 0; k < 300; k++) gzprintf(g, "%d,%d,%d,%d,%d\n", k % 17, k % 5, k % 7, k % 3, k % 4);
    gzclose(g);
    unsigned char *orig = fx_read(gz, &n);
    b = malloc(n);
    assert_non_null(b);
    int failed = 0;
    for (int t = 0; t < 200; t++) {
        memcpy(b, orig, n);
        garble(b, 0, n, 1 + t % 3, &r);
        fx_write(dir, "t.csv.gz", b, t % 4 ? n : (size_t)ds_rng_below(&r, (uint32_t)n));
        failed += load_checked(dir, NULL, "t.csv.gz", -1e30f, 1e30f) != 0;
    }
    assert_true(failed > 100);
    free(orig);
    free(b);
    free(gz);
    fx_rmtree(dir);
}

static void png_and_idx_truncated_and_garbled(void **state)
{
    (void)state;
    size_t n;
    unsigned char *orig = fx_read(MNIST_PNG "/sample5.png", &n), *b = malloc(n);
    assert_non_null(b);
    char *dir = fx_tmpdir();
    fx_mkdir(dir, "5");
    for (size_t keep = 0; keep < n; keep++) {
        fx_write(dir, "5/x.png", orig, keep);
        assert_int_equal(load_checked(dir, NULL, "5/x.png", 0, 1), -1);
    }
    ds_rng r;
    ds_rng_seed(&r, 78);
    for (int t = 0; t < 300; t++) {
        memcpy(b, orig, n);
        garble(b, 0, n, 1 + t % 4, &r);
        fx_write(dir, "5/x.png", b, n);
        load_checked(dir, NULL, "5/x.png", 0, 1);
    }
    free(b);
    free(orig);
    fx_rmtree(dir);

    /* A 3-image IDX pair: every cut, and damaged headers. */
    dir = fx_tmpdir();
    unsigned char img[16 + 3 * 4 * 5], lab[8 + 3] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 0, 1};
    memset(img, 0x40, sizeof img);
    memcpy(img, (unsigned char[]){0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5}, 16);
    fx_write(dir, "labels-idx1-ubyte", lab, sizeof lab);
    for (size_t keep = 0; keep < sizeof img; keep++) {
        fx_write(dir, "images-idx3-ubyte", img, keep);
        assert_int_equal(load_checked(dir, NULL, "images-idx3-ubyte", 0, 1), -1);
    }
    fx_write(dir, "images-idx3-ubyte", img, sizeof img);
    assert_int_equal(load_checked(dir, NULL, "idx", 0, 1), 0);
    unsigned char bad[sizeof img];
    for (int t = 0; t < 300; t++) {
        memcpy(bad, img, sizeof img);
        garble(bad, 0, 16, 1 + t % 3, &r);
        fx_write(dir, "images-idx3-ubyte", bad, sizeof bad);
        load_checked(dir, NULL, "ubyte", 0, 1);
    }
    fx_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wav_truncated_and_garbled),
        cmocka_unit_test(sensor_log_truncated_and_garbled),
        cmocka_unit_test(manifest_and_table_garbled),
        cmocka_unit_test(png_and_idx_truncated_and_garbled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
