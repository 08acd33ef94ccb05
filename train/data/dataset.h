/* mote datasets (host side, C11): labelled examples for training, and their augmentation.
 *
 * A dataset is N examples, each a float array of one fixed shape (shapes exclude the batch, as in the
 * training engine: rank 1 [C], rank 2 [W, C], rank 3 [H, W, C]):
 *   audio   [length, 1]    16-bit PCM WAV (libsndfile) as sample / 32768, in [-1, 1), at one sample rate,
 *                          padded with zeros after the end or cropped at the end to `length` samples;
 *   motion  [window, C]    windows of `window` lines cut every `stride` lines from a sensor-log CSV of C
 *                          numeric fields per line (one file = one recording), times `value_scale`;
 *   image   [H, W, C]      PNG (libpng), raw uint8 files, MNIST IDX, or a numeric table (one example per
 *                          CSV line, label last, e.g. sklearn digits); pixel / 255 in [0, 1], or the raw
 *                          0..255 values with `raw_uint8`.
 * Each example has an integer label (an index into label_names), a group (recording, speaker, ...: an
 * index into group_names) and a split (train / validation / test).
 *
 * Every function that can fail returns 0 on success and -1 on failure, with one line in `err` naming the
 * file (and the line, for CSV) and the problem; nothing exits, and a corrupt file is an error, never a
 * crash. The layouts, the column rules and the split rule are in docs/datasets.md.
 */
#ifndef MOTE_DATASET_H
#define MOTE_DATASET_H

#include <stddef.h>
#include <stdint.h>

typedef enum { DS_TRAIN = 0, DS_VALIDATION = 1, DS_TEST = 2 } ds_split;
#define DS_N_SPLITS 3

typedef enum { DS_KIND_AUTO = 0, DS_AUDIO, DS_MOTION, DS_IMAGE, DS_TABLE } ds_kind;

typedef struct {
    ds_kind kind;            /* never DS_KIND_AUTO once loaded */
    int rank;                /* 1..3 */
    int dims[3];             /* audio [length, 1], motion [window, C], image [H, W, C], table [C] */
    size_t example_size;     /* floats per example: the product of dims */
    size_t n;                /* examples */
    float *x;                /* n * example_size floats, example i at x + i * example_size */
    int32_t *label;          /* n: index into label_names */
    int32_t *group;          /* n: index into group_names */
    uint8_t *split;          /* n: ds_split */
    int32_t *source;         /* n: index into sources (the file the example came from) */
    int32_t *offset;         /* n: first line/sample of a motion window in its file; example index in an
                                IDX or table file; 0 otherwise */
    int n_labels;
    char **label_names;
    int n_groups;
    char **group_names;      /* NULL entries: anonymous groups (each IDX/table example is its own) */
    int n_sources;
    char **sources;
    int sample_rate;         /* audio: Hz of every file; motion: as given in the options (0: unknown) */
    size_t cap_;             /* private: allocated examples */
    void *index_;            /* private: name lookups */
} ds_dataset;

typedef struct {
    ds_kind kind;            /* DS_KIND_AUTO: from the data files' extension (.wav audio, .csv motion, .png image) */
    /* Manifest (CSV with a header; paths relative to its folder). NULL: <dir>/metadata.csv if present. */
    const char *manifest;
    const char *file_column;  /* NULL: "file" */
    const char *label_column; /* NULL: "label" if present, else the column after the file column */
    const char *group_column; /* NULL: the first of group, speaker, recording, subject, session, user;
                                 none of them: each file is its own group. "": each file its own group */
    const char *split_column; /* NULL: "split", else the first column whose name ends in "split";
                                 "": ignore the manifest's split, split by group */
    const char *labels;       /* comma-separated label names in index order; every one must have data and
                                 no other label may appear. NULL: labels as found (see docs) */
    float ratios[3];          /* train/validation/test fractions for the group split; all 0: 0.8/0.1/0.1 */
    uint64_t seed;            /* split seed */
    /* audio */
    int sample_rate;          /* Hz every file must have; 0: the first file's */
    int length;               /* samples per example; 0: one second */
    /* motion and tables */
    int channels;             /* motion: numeric fields per line; 0: 3 */
    int window, stride;       /* motion: lines per window and between window starts; 0: 26 and window / 2 */
    float value_scale;        /* multiplies CSV values; 0: 1 (tables: 1 / their largest value) */
    /* images */
    int height, width, image_channels; /* 0: from the first image (raw files and tables need H and W) */
    int raw_uint8;            /* 1: pixels as 0..255; 0: pixel / 255 */
} ds_options;

/* Loads a dataset from `path` (docs/datasets.md, "Layouts"):
 *   a directory with a manifest (options.manifest, or metadata.csv): one example per row (audio, image),
 *     or the windows of each row's recording (motion);
 *   a directory holding *idx3-ubyte and *idx1-ubyte: MNIST IDX images and labels;
 *   a directory of class folders: one class per folder (names starting with '.' or '_' are skipped);
 *   a directory holding one .csv or .csv.gz, or such a file: a numeric table, label in the last field;
 *   a .csv/.csv.gz file with a header naming the file column: a manifest.
 * `opt` may be NULL (all defaults). On success *out is a new dataset for ds_free(). */
int ds_load(const char *path, const ds_options *opt, ds_dataset **out, char *err, size_t errlen);
int ds_load_manifest(const char *csv_path, const ds_options *opt, ds_dataset **out, char *err, size_t errlen);
int ds_load_folders(const char *dir, const ds_options *opt, ds_dataset **out, char *err, size_t errlen);
int ds_load_idx(const char *images, const char *labels, const ds_options *opt, ds_dataset **out,
                char *err, size_t errlen);
int ds_load_table(const char *csv_path, const ds_options *opt, ds_dataset **out, char *err, size_t errlen);
void ds_free(ds_dataset *ds);

/* One WAV file at its own length: *samples (malloc'd, caller frees) holds *n frames of the first channel
 * as sample / 32768; *rate its sample rate. For background-noise clips. */
int ds_read_wav(const char *path, float **samples, size_t *n, int *rate, char *err, size_t errlen);

/* Counts and selections. label or split -1: any. */
size_t ds_count(const ds_dataset *ds, int split, int label);
size_t ds_indices(const ds_dataset *ds, int split, size_t *idx);  /* idx: room for ds_count(ds, split, -1) */
int ds_label_index(const ds_dataset *ds, const char *name);      /* -1: no such label */
size_t ds_group_leaks(const ds_dataset *ds);                     /* groups found in more than one split */
const char *ds_split_name(int split);                           /* "train", "validation", "test" */
const char *ds_kind_name(ds_kind kind);

/* Deterministic pseudo-random numbers (xoshiro256** seeded through splitmix64): same seed, same stream on
 * every machine. */
typedef struct { uint64_t s[4]; } ds_rng;
void ds_rng_seed(ds_rng *r, uint64_t seed);
uint64_t ds_rng_next(ds_rng *r);
uint32_t ds_rng_below(ds_rng *r, uint32_t n);              /* uniform in [0, n), n >= 1 */
float ds_rng_uniform(ds_rng *r);                           /* uniform in [0, 1) */
float ds_rng_normal(ds_rng *r);                            /* standard normal */

/* Augmentation of one example in place. x is frames x channels, row-major. */
void ds_aug_time_shift(float *x, int frames, int channels, int shift); /* shift > 0: later; zeros fill */
void ds_aug_speed(float *x, int frames, float factor);     /* played factor times faster (tempo and pitch,
                                                              as resampling), zeros after the end */
void ds_aug_gain(float *x, size_t n, float gain);          /* times gain, clipped to [-1, 32767/32768] */
void ds_aug_mix_noise(float *x, size_t n, const float *noise, size_t noise_n, float volume, ds_rng *r);
                                                           /* + volume * a random stretch of noise (wraps) */
void ds_aug_spec_mask(float *feat, int frames, int bins, int time_masks, int max_time, int freq_masks,
                      int max_freq, float fill, ds_rng *r); /* SpecAugment: bands of width 0..max set to fill */
void ds_aug_jitter(float *x, size_t n, float sigma, ds_rng *r);                /* + N(0, sigma^2) each value */
void ds_aug_scale(float *x, int frames, int channels, float lo, float hi, ds_rng *r); /* per channel */
void ds_aug_rotate(float *xyz, int frames, const float axis[3], float angle); /* rows (x, y, z), radians */
void ds_aug_rotate_random(float *xyz, int frames, float max_angle, ds_rng *r); /* random axis, |angle| <= max */

typedef struct {
    /* audio waveform [length, 1] */
    int max_shift;                   /* samples: shift uniform in [-max_shift, max_shift] */
    float speed_min, speed_max;      /* speed factor uniform in [min, max] (both 0: none; mono only) */
    float gain_db_min, gain_db_max;  /* gain uniform in dB (both 0: none) */
    const float *const *noise;       /* background clips (e.g. from ds_read_wav) */
    const size_t *noise_n;
    int n_noise;
    float noise_prob, noise_max_volume; /* with probability noise_prob, volume uniform in [0, max) */
    /* motion [window, 3] */
    float jitter_sigma;
    float scale_min, scale_max;      /* both 0: none */
    float rotate_max;                /* radians; 0: none */
} ds_aug_config;

/* Applies cfg's augmentations that fit ds->kind to one example x (ds->example_size floats), in a fixed
 * order (audio: shift, speed, gain, noise; motion: rotate, scale, jitter), drawing from r. SpecAugment masks
 * apply to features, after the front end: ds_aug_spec_mask. */
void ds_augment(const ds_dataset *ds, float *x, const ds_aug_config *cfg, ds_rng *r);

#endif
