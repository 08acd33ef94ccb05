/* train/data on the real datasets of ../shared/data: FSDD (WAV, manifest with label/group/split columns),
 * ST HAR (accelerometer logs cut into windows, recording-level split), MNIST IDX, sklearn digits (gzip'd
 * table) and the TFLM MNIST PNG samples (folder per class, raw files). Counts come from the datasets' own
 * metadata and READMEs, read here independently of the loader. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "data_fixtures.h"

/* metadata.csv rows: the file and the columns the test needs, by position. */
typedef struct {
    char file[96], label[32], group[32], split[16];
} meta_row;

/* Copies a field that must fit. */
static void copy_field(char *dst, size_t size, const char *src)
{
    assert_non_null(src);
    assert_true(strlen(src) < size);
    memcpy(dst, src, strlen(src) + 1);
}

static int read_meta(const char *path, int file_col, int label_col, int group_col, int split_col, meta_row *rows,
                     int max)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    assert_non_null(fgets(line, sizeof line, f));   /* header */
    while (fgets(line, sizeof line, f) && n < max) {
        line[strcspn(line, "\r\n")] = 0;
        char *fields[16] = {0};
        int k = 0;
        for (char *p = line; k < 16;) {
            fields[k++] = p;
            char *c = strchr(p, ',');
            if (!c) break;
            *c = 0;
            p = c + 1;
        }
        copy_field(rows[n].file, sizeof rows[n].file, fields[file_col]);
        copy_field(rows[n].label, sizeof rows[n].label, fields[label_col]);
        copy_field(rows[n].group, sizeof rows[n].group, group_col >= 0 ? fields[group_col] : "");
        copy_field(rows[n].split, sizeof rows[n].split, fields[split_col]);
        n++;
    }
    fclose(f);
    return n;
}

static bool ends_with(const char *s, const char *t)
{
    size_t a = strlen(s), b = strlen(t);
    return a >= b && !strcmp(s + a - b, t);
}

static meta_row fsdd_rows[3000];

/* `mote train --data ../shared/data/fsdd --task audio`: nothing but the kind is given. */
static void fsdd_as_it_is(void **state)
{
    (void)state;
    int nrows = read_meta(FSDD "/metadata.csv", 0, 1, 2, 4, fsdd_rows, 3000);
    assert_int_equal(nrows, 2500);
    ds_options o = {.kind = DS_AUDIO};
    ds_dataset *ds;
    char err[512] = "";
    if (ds_load(FSDD, &o, &ds, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ds->kind, DS_AUDIO);
    assert_int_equal(ds->n, 2500);
    assert_int_equal(ds->sample_rate, 8000);
    assert_int_equal(ds->rank, 2);
    assert_int_equal(ds->dims[0], 8000);   /* one second */
    assert_int_equal(ds->dims[1], 1);
    assert_int_equal(ds->example_size, 8000);
    assert_int_equal(ds->n_labels, 10);
    for (int l = 0; l < 10; l++) {
        char name[4];
        snprintf(name, sizeof name, "%d", l);
        assert_string_equal(ds->label_names[l], name);
        assert_int_equal(ds_count(ds, -1, l), 250);
        assert_int_equal(ds_count(ds, DS_TEST, l), 25);
    }
    assert_int_equal(ds->n_groups, 5);   /* speakers: the `speaker` column by the group-column rule */
    /* Example i is metadata row i: same file, digit, speaker; test exactly where the metadata says test. */
    size_t per_speaker[5] = {0}, val_of_speaker[5] = {0}, train_of_speaker[5] = {0};
    for (size_t i = 0; i < ds->n; i++) {
        const meta_row *m = &fsdd_rows[i];
        assert_true(ends_with(ds->sources[ds->source[i]], m->file));
        assert_string_equal(ds->label_names[ds->label[i]], m->label);
        assert_string_equal(ds->group_names[ds->group[i]], m->group);
        assert_int_equal(ds->split[i] == DS_TEST, !strcmp(m->split, "test"));
        per_speaker[ds->group[i]]++;
        val_of_speaker[ds->group[i]] += ds->split[i] == DS_VALIDATION;
        train_of_speaker[ds->group[i]] += ds->split[i] == DS_TRAIN;
    }
    assert_int_equal(ds_count(ds, DS_TEST, -1), 250);
    assert_int_equal(ds_count(ds, DS_TRAIN, -1) + ds_count(ds, DS_VALIDATION, -1), 2250);
    /* Validation is carved from the metadata's train rows by speaker: whole speakers, none in train. */
    int val_speakers = 0;
    for (int g = 0; g < 5; g++) {
        assert_int_equal(per_speaker[g], 500);
        if (val_of_speaker[g]) {
            val_speakers++;
            assert_int_equal(val_of_speaker[g], 450);
            assert_int_equal(train_of_speaker[g], 0);
        }
    }
    assert_int_equal(val_speakers, 1);
    assert_int_equal(ds_count(ds, DS_VALIDATION, -1), 450);
    /* Upstream's split has every speaker in train and test: the loader reports it, it does not hide it. */
    assert_int_equal(ds_group_leaks(ds), 5);
    /* recordings/0_george_0.wav: 2384 samples, the first bytes 2f fa = -1489; zeros after the end. */
    assert_true(ends_with(ds->sources[0], "recordings/0_george_0.wav"));
    assert_true(ds->x[0] == -1489.0f / 32768.0f);
    float tail = 0, body = 0;
    for (int k = 2384; k < 8000; k++) tail += ds->x[k] * ds->x[k];
    for (int k = 0; k < 2384; k++) body += ds->x[k] * ds->x[k];
    assert_true(tail == 0.0f && body > 0.0f);
    for (size_t i = 0; i < ds->n * ds->example_size; i++)
        assert_true(ds->x[i] >= -1.0f && ds->x[i] < 1.0f);
    ds_free(ds);
}

/* Ignoring the given split: a seeded split by speaker, no speaker in two splits. */
static void fsdd_group_split(void **state)
{
    (void)state;
    ds_options o = {.kind = DS_AUDIO, .split_column = "", .length = 4000, .seed = 7};
    ds_dataset *ds, *again;
    char err[512] = "";
    if (ds_load(FSDD, &o, &ds, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ds->dims[0], 4000);
    assert_int_equal(ds_group_leaks(ds), 0);
    /* 5 speakers of 500: one each to test and validation, the rest by deficit to train. */
    assert_int_equal(ds_count(ds, DS_TRAIN, -1), 1500);
    assert_int_equal(ds_count(ds, DS_VALIDATION, -1), 500);
    assert_int_equal(ds_count(ds, DS_TEST, -1), 500);
    for (int l = 0; l < 10; l++) assert_int_equal(ds_count(ds, DS_TEST, l), 50);
    /* Same seed, same split; the seed does move speakers. */
    if (ds_load(FSDD, &o, &again, err, sizeof err)) fail_msg("%s", err);
    assert_memory_equal(ds->split, again->split, ds->n);
    ds_free(again);
    bool moved = false;
    for (uint64_t seed = 8; seed < 16 && !moved; seed++) {
        o.seed = seed;
        if (ds_load(FSDD, &o, &again, err, sizeof err)) fail_msg("%s", err);
        moved = memcmp(ds->split, again->split, ds->n) != 0;
        assert_int_equal(ds_group_leaks(again), 0);
        ds_free(again);
    }
    assert_true(moved);
    ds_free(ds);
}

static meta_row har_rows[100];

static void st_har_windows(void **state)
{
    (void)state;
    int nrows = read_meta(STHAR "/metadata.csv", 0, 1, -1, 4, har_rows, 100);
    assert_int_equal(nrows, 92);
    int test_rec = 0;
    for (int r = 0; r < nrows; r++) test_rec += !strcmp(har_rows[r].split, "test");
    ds_dataset *ds;
    char err[512] = "";
    if (ds_load(STHAR, NULL, &ds, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ds->kind, DS_MOTION);
    assert_int_equal(ds->rank, 2);
    assert_int_equal(ds->dims[0], 26);   /* default window 26, stride 13: (1000 - 26) / 13 + 1 = 75 */
    assert_int_equal(ds->dims[1], 3);
    assert_int_equal(ds->n, 92 * 75);
    assert_int_equal(ds->n_groups, 92);  /* each recording its own group */
    assert_int_equal(ds_group_leaks(ds), 0);
    assert_int_equal(ds_count(ds, DS_TEST, -1), (size_t)test_rec * 75);
    /* Labels in first-seen order, which is upstream's: stationary, walking, running. */
    assert_int_equal(ds->n_labels, 3);
    assert_string_equal(ds->label_names[0], "stationary");
    assert_string_equal(ds->label_names[1], "walking");
    assert_string_equal(ds->label_names[2], "running");
    assert_int_equal(ds_count(ds, -1, 0), 36 * 75);
    assert_int_equal(ds_count(ds, -1, 1), 39 * 75);
    assert_int_equal(ds_count(ds, -1, 2), 17 * 75);
    for (int l = 0; l < 3; l++)   /* validation carved per class, by recording */
        assert_true(ds_count(ds, DS_VALIDATION, l) > 0 && ds_count(ds, DS_VALIDATION, l) % 75 == 0);
    /* Window k of a recording starts at line 13k; the first holds the file's first lines. */
    FILE *f = fopen(STHAR "/stationary/stationary_01_26Hz_4g_mg.csv", "r");
    assert_non_null(f);
    float want[6];
    assert_int_equal(fscanf(f, "%f , %f , %f %f , %f , %f", &want[0], &want[1], &want[2], &want[3], &want[4],
                            &want[5]), 6);
    fclose(f);
    assert_true(ends_with(ds->sources[ds->source[0]], "stationary/stationary_01_26Hz_4g_mg.csv"));
    assert_int_equal(ds->offset[0], 0);
    assert_int_equal(ds->offset[1], 13);
    for (int k = 0; k < 6; k++) assert_true(ds->x[k] == want[k]);
    ds_free(ds);

    ds_options o = {.window = 52, .stride = 26, .value_scale = 0.001f};
    if (ds_load(STHAR, &o, &ds, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ds->dims[0], 52);
    assert_int_equal(ds->n, 92 * 37);
    assert_true(ds->x[0] == want[0] * 0.001f);
    ds_free(ds);
}

static void mnist_idx(void **state)
{
    (void)state;
    static const size_t counts[10] = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
    ds_dataset *ds;
    char err[512] = "";
    if (ds_load(MNIST, NULL, &ds, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ds->kind, DS_IMAGE);
    assert_int_equal(ds->n, 10000);
    assert_int_equal(ds->rank, 3);
    assert_int_equal(ds->dims[0], 28);
    assert_int_equal(ds->dims[1], 28);
    assert_int_equal(ds->dims[2], 1);
    for (int l = 0; l < 10; l++) {
        assert_int_equal(ds_count(ds, -1, l), counts[l]);
        /* Stratified 80/10/10 over single-image groups. */
        size_t te = ds_count(ds, DS_TEST, l), va = ds_count(ds, DS_VALIDATION, l);
        assert_true(te + 1 >= counts[l] / 10 && te <= counts[l] / 10 + 1);
        assert_true(va + 1 >= counts[l] / 10 && va <= counts[l] / 10 + 1);
    }
    assert_int_equal(ds_group_leaks(ds), 0);
    /* Image 0 is a zero; row 4 has ink 51, 159, 253 at columns 15..17 (IDX bytes). */
    assert_int_equal(ds->label[0], 0);
    assert_true(ds->x[4 * 28 + 16] == 159.0f / 255.0f);
    assert_true(ds->x[4 * 28 + 17] == 253.0f / 255.0f);
    assert_true(ds->x[4 * 28 + 14] == 0.0f);
    double sum = 0;
    for (int k = 0; k < 784; k++) sum += ds->x[k] * 255.0f;
    assert_int_equal((long)(sum + 0.5), 31095);
    assert_int_equal(ds->label[9999], 9);
    ds_free(ds);

    ds_options raw = {.raw_uint8 = 1, .labels = "zero,one,two,three,four,five,six,seven,eight,nine"};
    if (ds_load_idx(MNIST "/images-idx3-ubyte", MNIST "/labels-idx1-ubyte", &raw, &ds, err, sizeof err))
        fail_msg("%s", err);
    assert_true(ds->x[4 * 28 + 16] == 159.0f);
    assert_string_equal(ds->label_names[ds->label[9999]], "nine");
    ds_free(ds);
}

static void sklearn_digits(void **state)
{
    (void)state;
    static const size_t counts[10] = {178, 182, 177, 183, 181, 182, 181, 179, 174, 180};
    ds_dataset *ds;
    char err[512] = "";
    if (ds_load(DIGITS, NULL, &ds, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ds->kind, DS_IMAGE);
    assert_int_equal(ds->n, 1797);
    assert_int_equal(ds->dims[0], 8);
    assert_int_equal(ds->dims[1], 8);
    assert_int_equal(ds->dims[2], 1);
    for (int l = 0; l < 10; l++) assert_int_equal(ds_count(ds, -1, l), counts[l]);
    /* Line 1: 0,0,5,13,9,1,0,0,... label 0; values scaled by 1/16, the largest in the file. */
    assert_int_equal(ds->label[0], 0);
    assert_true(ds->x[2] == 5.0f / 16.0f);
    assert_true(ds->x[3] == 13.0f / 16.0f);
    assert_int_equal(ds_group_leaks(ds), 0);
    assert_true(ds_count(ds, DS_TEST, -1) > 150 && ds_count(ds, DS_VALIDATION, -1) > 150);
    ds_free(ds);
}

/* The ten TFLM MNIST PNGs as a folder-per-class dataset, checked against the decoded raw bytes shipped
 * beside them; the same bytes as .raw files give the same dataset. */
static void png_and_raw_folders(void **state)
{
    (void)state;
    size_t nbin;
    unsigned char *bin = fx_read(MNIST_PNG "/samples0-9_uint8.bin", &nbin);
    assert_int_equal(nbin, 7840);
    char *png_dir = fx_tmpdir(), *raw_dir = fx_tmpdir();
    for (int d = 0; d < 10; d++) {
        char cls[8], name[64], src[256];
        snprintf(cls, sizeof cls, "%d", d);
        fx_mkdir(png_dir, cls);
        fx_mkdir(raw_dir, cls);
        snprintf(src, sizeof src, MNIST_PNG "/sample%d.png", d);
        size_t n;
        unsigned char *png = fx_read(src, &n);
        snprintf(name, sizeof name, "%d/sample%d.png", d, d);
        fx_write(png_dir, name, png, n);
        free(png);
        snprintf(name, sizeof name, "%d/sample%d.raw", d, d);
        fx_write(raw_dir, name, bin + 784 * d, 784);
    }
    fx_text(png_dir, "README.md", "not a class\n");
    ds_dataset *ds, *rd;
    char err[512] = "";
    ds_options o = {.raw_uint8 = 1};
    if (ds_load(png_dir, &o, &ds, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ds->kind, DS_IMAGE);
    assert_int_equal(ds->n, 10);
    assert_int_equal(ds->dims[0], 28);
    assert_int_equal(ds->dims[1], 28);
    assert_int_equal(ds->dims[2], 1);
    for (int d = 0; d < 10; d++) {
        assert_int_equal(ds->label[d], d);
        assert_int_equal(ds->split[d], DS_TRAIN);   /* one group per class: train only */
        for (int k = 0; k < 784; k++) assert_true(ds->x[784 * d + k] == (float)bin[784 * d + k]);
    }
    ds_options r = {.raw_uint8 = 1, .height = 28, .width = 28};
    if (ds_load(raw_dir, &r, &rd, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(rd->n, 10);
    assert_memory_equal(rd->x, ds->x, 7840 * sizeof(float));
    ds_free(rd);
    ds_free(ds);
    /* Three channels asked of a gray PNG: gray replicated; and [0, 1] scaling. */
    ds_options rgb = {.image_channels = 3};
    if (ds_load(png_dir, &rgb, &ds, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ds->dims[2], 3);
    for (int k = 0; k < 784; k++) {
        float v = (float)bin[k] / 255.0f;
        assert_true(ds->x[3 * k] == v && ds->x[3 * k + 1] == v && ds->x[3 * k + 2] == v);
    }
    ds_free(ds);
    free(bin);
    fx_rmtree(png_dir);
    fx_rmtree(raw_dir);
}

/* A folder-per-class audio set with Speech Commands names: the speaker (before _nohash_) is the group,
 * so a group split keeps a speaker's clips together. */
static void folders_group_by_speaker(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    fx_mkdir(dir, "yes");
    fx_mkdir(dir, "no");
    fx_mkdir(dir, "_background_noise_");
    for (int s = 0; s < 12; s++)
        for (int k = 0; k < 3; k++) {
            char name[64];
            snprintf(name, sizeof name, "%s/spk%02d_nohash_%d.wav", k == 2 ? "no" : "yes", s, k);
            fx_wav(dir, name, 16000, 1, 16, 400 + s);
        }
    fx_wav(dir, "_background_noise_/hum.wav", 16000, 1, 16, 3000);
    ds_dataset *ds;
    char err[512] = "";
    ds_options o = {.length = 500, .ratios = {0.5f, 0.25f, 0.25f}, .seed = 3};
    if (ds_load(dir, &o, &ds, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ds->n, 36);
    assert_int_equal(ds->n_labels, 2);
    assert_string_equal(ds->label_names[0], "no");    /* folders in name order; '_' folders skipped */
    assert_string_equal(ds->label_names[1], "yes");
    assert_int_equal(ds->n_groups, 12);
    assert_int_equal(ds_group_leaks(ds), 0);
    for (int s = 0; s < 3; s++) assert_true(ds_count(ds, s, -1) > 0);
    assert_int_equal(ds_count(ds, DS_TRAIN, -1) % 3, 0);
    /* The ramp: sample k = k * 7; 16-bit, so / 32768; padded after 400 + s samples. */
    assert_true(ds->x[1] == 7.0f / 32768.0f);
    assert_true(ds->x[499] == 0.0f);
    float *noise;
    size_t nn;
    int rate;
    char *hum = fx_path(dir, "_background_noise_/hum.wav");
    if (ds_read_wav(hum, &noise, &nn, &rate, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(nn, 3000);
    assert_int_equal(rate, 16000);
    assert_true(noise[2999] == 2999.0f * 7.0f / 32768.0f);
    free(noise);
    free(hum);
    ds_free(ds);
    fx_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fsdd_as_it_is),   cmocka_unit_test(fsdd_group_split),
        cmocka_unit_test(st_har_windows),  cmocka_unit_test(mnist_idx),
        cmocka_unit_test(sklearn_digits),  cmocka_unit_test(png_and_raw_folders),
        cmocka_unit_test(folders_group_by_speaker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
