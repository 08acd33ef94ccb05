/* train/data on bad input: each case fails with one line that names the file (and the line, for CSV) and
 * the problem, and leaves *out NULL. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <zlib.h>

#include "data_fixtures.h"

static char err[1024];

/* Loads dir (options o) and expects a failure. */
static void load_fails(const char *dir, const ds_options *o)
{
    ds_dataset *ds = (ds_dataset *)1;
    err[0] = 0;
    assert_int_equal(ds_load(dir, o, &ds, err, sizeof err), -1);
    assert_null(ds);
    assert_true(err[0] != 0);
}

static void copy_file(const char *src, const char *dir, const char *name, size_t keep)
{
    size_t n;
    unsigned char *b = fx_read(src, &n);
    fx_write(dir, name, b, keep && keep < n ? keep : n);
    free(b);
}

static void truncated_wav(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    fx_mkdir(dir, "zero");
    copy_file(FSDD "/recordings/0_george_0.wav", dir, "zero/a.wav", 0);
    copy_file(FSDD "/recordings/0_george_1.wav", dir, "zero/b.wav", 1000);   /* data cut short */
    load_fails(dir, NULL);
    assert_err_has(err, "zero/b.wav", "truncated", "declares 9454 bytes", "holds 956");
    /* Cut inside the header, and a header-only file. */
    copy_file(FSDD "/recordings/0_george_1.wav", dir, "zero/b.wav", 30);
    load_fails(dir, NULL);
    assert_err_has(err, "zero/b.wav", "corrupt");
    copy_file(FSDD "/recordings/0_george_1.wav", dir, "zero/b.wav", 8);
    load_fails(dir, NULL);
    assert_err_has(err, "zero/b.wav", "truncated");
    fx_text(dir, "zero/b.wav", "");
    load_fails(dir, NULL);
    assert_err_has(err, "zero/b.wav", "truncated");
    fx_rmtree(dir);
}

static void wrong_sample_rate_and_format(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    fx_mkdir(dir, "go");
    fx_wav(dir, "go/a.wav", 8000, 1, 16, 100);
    fx_wav(dir, "go/b.wav", 16000, 1, 16, 100);
    load_fails(dir, NULL);
    assert_err_has(err, "go/b.wav", "sample rate 16000 Hz, expected 8000 Hz");
    ds_options o = {.sample_rate = 16000};
    load_fails(dir, &o);
    assert_err_has(err, "go/a.wav", "sample rate 8000 Hz, expected 16000 Hz");
    /* FSDD is 8 kHz: asking for 16 kHz names its first file. */
    load_fails(FSDD, &o);
    assert_err_has(err, "recordings/0_george_0.wav", "sample rate 8000 Hz, expected 16000 Hz",
                   "metadata.csv:2");   /* the manifest row is named too */
    fx_wav(dir, "go/b.wav", 8000, 2, 16, 100);
    load_fails(dir, NULL);
    assert_err_has(err, "go/b.wav", "2 channels, expected mono");
    fx_wav(dir, "go/b.wav", 8000, 1, 8, 100);
    load_fails(dir, NULL);
    assert_err_has(err, "go/b.wav", "8-bit PCM, expected 16-bit PCM");
    fx_wav(dir, "go/b.wav", 8000, 1, 16, 0);
    load_fails(dir, NULL);
    assert_err_has(err, "go/b.wav", "no samples");
    fx_rmtree(dir);
}

static void empty_class_and_label_without_data(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    fx_mkdir(dir, "up");
    fx_mkdir(dir, "down");
    fx_wav(dir, "up/a.wav", 8000, 1, 16, 100);
    fx_text(dir, "down/notes.txt", "");    /* no .wav: an empty class */
    load_fails(dir, NULL);
    assert_err_has(err, "/down", "empty class folder", "no .wav files", "label 'down'");
    fx_wav(dir, "down/a.wav", 8000, 1, 16, 100);
    ds_options o = {.labels = "up,down,left"};
    load_fails(dir, &o);
    assert_err_has(err, "label 'left' has no data", "no folder");
    /* A manifest naming a label list: a listed label with no row, and a row whose label is not listed. */
    fx_text(dir, "m.csv", "file,label\nup/a.wav,up\ndown/a.wav,down\n");
    o.manifest = "m.csv";
    load_fails(dir, &o);
    assert_err_has(err, "m.csv", "label 'left' has no data");
    o.labels = "up";
    load_fails(dir, &o);
    assert_err_has(err, "m.csv:3:", "label 'down' is not among the labels given");
    /* A manifest row naming a missing file. */
    fx_text(dir, "m.csv", "file,label\nup/a.wav,up\nup/gone.wav,up\n");
    o.labels = NULL;
    load_fails(dir, &o);
    assert_err_has(err, "up/gone.wav", "cannot open", "listed at", "m.csv:3");
    fx_rmtree(dir);
}

static void manifest_errors(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    fx_wav(dir, "a.wav", 8000, 1, 16, 50);
    ds_options o = {.manifest = "m.csv"};
    fx_text(dir, "m.csv", "file,label,split\na.wav,x,train\na.wav,y,holdout\n");
    load_fails(dir, &o);
    assert_err_has(err, "m.csv:3:", "split 'holdout' is not train, validation or test");
    fx_text(dir, "m.csv", "file,label\na.wav,x\na.wav\n");
    load_fails(dir, &o);
    assert_err_has(err, "m.csv:3:", "1 fields, the header has 2");
    fx_text(dir, "m.csv", "file,label\na.wav,x\n,y\n");
    load_fails(dir, &o);
    assert_err_has(err, "m.csv:3:", "column 'file' is empty");
    fx_text(dir, "m.csv", "path,label\na.wav,x\n");
    load_fails(dir, &o);
    assert_err_has(err, "m.csv:1:", "no column 'file'");
    o.group_column = "speaker";
    fx_text(dir, "m.csv", "file,label\na.wav,x\n");
    load_fails(dir, &o);
    assert_err_has(err, "m.csv:1:", "no group column 'speaker'");
    o.group_column = NULL;
    fx_text(dir, "m.csv", "file,label\n\"a.wav,x\n");
    load_fails(dir, &o);
    assert_err_has(err, "m.csv:2:", "unterminated quote");
    fx_text(dir, "m.csv", "file,label\na.png,x\n");
    o.kind = DS_AUDIO;
    load_fails(dir, &o);
    assert_err_has(err, "m.csv:2:", "'a.png' is image data by its name, not audio");
    fx_text(dir, "m.csv", "");
    load_fails(dir, &o);
    assert_err_has(err, "m.csv", "empty manifest");
    fx_rmtree(dir);
}

/* Sensor logs: NaN, a missing field, text, a short recording; each names the file and the line. */
static void sensor_log_errors(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    fx_mkdir(dir, "walk");
    char good[2048] = "";
    for (int k = 0; k < 40; k++) {
        char l[32];
        snprintf(l, sizeof l, "%d, %d, %d\n", k, -k, 1000);
        strcat(good, l);
    }
    fx_text(dir, "walk/r1.csv", good);
    ds_dataset *ds;
    assert_int_equal(ds_load(dir, NULL, &ds, err, sizeof err), 0);
    assert_int_equal(ds->n, 2);   /* 40 lines: windows at 0 and 13 */
    ds_free(ds);

    fx_text(dir, "walk/r2.csv", "x,y,z\n1,2,3\n4,5,6\n7,8,nan\n9,9,9\n");
    load_fails(dir, NULL);
    assert_err_has(err, "walk/r2.csv:4:", "field 3 is NaN");
    fx_text(dir, "walk/r2.csv", "1,2,3\n4,5,6\n7,8\n");
    load_fails(dir, NULL);
    assert_err_has(err, "walk/r2.csv:3:", "2 fields, expected 3");
    fx_text(dir, "walk/r2.csv", "1,2,3\n4,,6\n");
    load_fails(dir, NULL);
    assert_err_has(err, "walk/r2.csv:2:", "field 2 is empty");
    fx_text(dir, "walk/r2.csv", "1,2,3\r\n4,5,6\r\n1,2,abc\r\n");
    load_fails(dir, NULL);
    assert_err_has(err, "walk/r2.csv:3:", "field 3 'abc' is not a number");
    fx_text(dir, "walk/r2.csv", "1,2,3\n4,5,inf\n");
    load_fails(dir, NULL);
    assert_err_has(err, "walk/r2.csv:2:", "out of range");
    fx_text(dir, "walk/r2.csv", "1,2,3\n4,5,6\n");
    load_fails(dir, NULL);
    assert_err_has(err, "walk/r2.csv", "2 lines of data, fewer than one window of 26");
    fx_write(dir, "walk/r2.csv", "1,2,3\n4,\0,6\n", 12);
    load_fails(dir, NULL);
    assert_err_has(err, "walk/r2.csv:2:", "NUL byte");
    fx_rmtree(dir);
}

static void idx_errors(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    unsigned char img[16 + 2 * 4] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2};
    unsigned char lab[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 0, 1};
    fx_write(dir, "train-images-idx3-ubyte", img, sizeof img);
    fx_write(dir, "train-labels-idx1-ubyte", lab, sizeof lab);
    ds_dataset *ds;
    assert_int_equal(ds_load(dir, NULL, &ds, err, sizeof err), 0);
    assert_int_equal(ds->n, 2);
    ds_free(ds);
    img[3] = 0x0d;   /* float data */
    fx_write(dir, "train-images-idx3-ubyte", img, sizeof img);
    load_fails(dir, NULL);
    assert_err_has(err, "train-images-idx3-ubyte", "bad IDX magic 0x0000080d, expected 0x00000803");
    img[3] = 3;
    fx_write(dir, "train-images-idx3-ubyte", img, sizeof img - 1);
    load_fails(dir, NULL);
    assert_err_has(err, "train-images-idx3-ubyte", "truncated", "promises 8 bytes", "holds 7");
    fx_write(dir, "train-images-idx3-ubyte", img, sizeof img);
    lab[7] = 3;
    fx_write(dir, "train-labels-idx1-ubyte", lab, sizeof lab);
    load_fails(dir, NULL);
    assert_err_has(err, "train-labels-idx1-ubyte", "truncated");
    lab[7] = 2, lab[9] = 2;    /* labels 0 and 2: label 1 has no data */
    fx_write(dir, "train-labels-idx1-ubyte", lab, sizeof lab);
    load_fails(dir, NULL);
    assert_err_has(err, "train-labels-idx1-ubyte", "label '1' has no data");
    fx_rmtree(dir);
}

static void image_and_table_errors(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    fx_mkdir(dir, "3");
    copy_file(MNIST_PNG "/sample3.png", dir, "3/a.png", 0);
    copy_file(MNIST_PNG "/sample3.png", dir, "3/b.png", 100);
    load_fails(dir, NULL);
    assert_err_has(err, "3/b.png", "corrupt");
    fx_text(dir, "3/b.png", "GIF89a");
    load_fails(dir, NULL);
    assert_err_has(err, "3/b.png", "not a PNG");
    ds_options o = {.height = 32, .width = 32};
    fx_text(dir, "3/b.png", "");
    load_fails(dir, &o);
    assert_err_has(err, "3/a.png", "image is 28x28 (HxW), expected 32x32");
    fx_rmtree(dir);

    dir = fx_tmpdir();
    fx_mkdir(dir, "7");
    fx_write(dir, "7/a.raw", "0123456789", 10);
    ds_options raw = {.height = 2, .width = 2};
    load_fails(dir, &raw);
    assert_err_has(err, "7/a.raw", "raw image of 10 bytes, expected 2x2x1 = 4");
    load_fails(dir, NULL);
    assert_err_has(err, "7/a.raw", "needs its height and width");
    fx_rmtree(dir);

    dir = fx_tmpdir();
    fx_text(dir, "t.csv", "1,2,3,4,0\n1,2,3,4,1\n1,2,3,1\n");
    load_fails(dir, NULL);
    assert_err_has(err, "t.csv:3:", "4 fields, expected 5");
    fx_text(dir, "t.csv", "1,2,3,4,0\n1,nan,3,4,1\n");
    load_fails(dir, NULL);
    assert_err_has(err, "t.csv:2:", "field 2 is NaN");
    fx_text(dir, "t.csv", "1,2,3,4,0\n1,2,3,4,\n");
    load_fails(dir, NULL);
    assert_err_has(err, "t.csv:2:", "the label", "empty");
    /* gzip'd, with its bytes damaged after the header. */
    char *gz = fx_path(dir, "t.csv");
    gzFile g = gzopen(gz, "wb");
    for (int k = 0; k < 200; k++) gzprintf(g, "%d,%d,%d,%d,%d\n", k, k + 1, k + 2, k + 3, k % 3);
    gzclose(g);
    size_t n;
    unsigned char *b = fx_read(gz, &n);
    for (size_t k = 20; k < n - 8; k += 7) b[k] ^= 0x5a;
    fx_write(dir, "t.csv", b, n);
    free(b);
    free(gz);
    load_fails(dir, NULL);
    assert_err_has(err, "t.csv");
    fx_rmtree(dir);

    load_fails("/nonexistent/data", NULL);
    assert_err_has(err, "/nonexistent/data", "cannot open");
    dir = fx_tmpdir();
    load_fails(dir, NULL);
    assert_err_has(err, dir, "no dataset found");
    fx_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(truncated_wav),     cmocka_unit_test(wrong_sample_rate_and_format),
        cmocka_unit_test(empty_class_and_label_without_data),
        cmocka_unit_test(manifest_errors),   cmocka_unit_test(sensor_log_errors),
        cmocka_unit_test(idx_errors),        cmocka_unit_test(image_and_table_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
