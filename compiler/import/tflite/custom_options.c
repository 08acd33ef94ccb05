/* Options of custom ops (the TFLM signal library's, mote's MoteMotionFeatures):
 * a FlexBuffer map in Operator.custom_options, decoded into mote_opts.iparams.
 *
 * The iparams index of each field is defined in runtime/include/mote/signal.h
 * (MOTE_SIG_*) and mote/motion.h (MoteMotionFeatures -> [bands]): e.g.
 * SignalRfft -> [fft_length, T], SignalEnergy ->
 * [start_index, end_index], spectral subtraction -> [num_channels, smoothing,
 * one_minus_smoothing, alternate_smoothing, alternate_one_minus_smoothing,
 * min_signal_remaining, smoothing_bits, spectral_subtraction_bits, clamping].
 * Fields are looked up by key name; extra keys are ignored.
 *
 * FlexBuffer facts used (all little endian):
 *  - the last byte is the root's byte width W, the one before it the root's
 *    packed type (type << 2 | log2 of the child width); the root value is
 *    the W bytes before those two;
 *  - a map value is an unsigned offset back from where it is stored to the
 *    map's first value; with child width w the map holds, before that point,
 *    [keys offset][keys width][count] (w bytes each), then count values of w
 *    bytes, then count packed-type bytes;
 *  - the keys vector (offset relative to its own field) holds offsets back to
 *    NUL-terminated key strings, preceded by its count;
 *  - INT / UINT / BOOL values sit inline (width w); INDIRECT_INT / _UINT are
 *    an offset back to a value of width 1 << (packed & 3).
 * Every read is bounds-checked against [buf, buf + len). */
#include "custom_options.h"

#include <stdio.h>
#include <string.h>

#include "mote/motion.h"
#include "mote/signal.h"

enum { FBT_INT = 1, FBT_UINT = 2, FBT_FLOAT = 3, FBT_INDIRECT_INT = 6, FBT_INDIRECT_UINT = 7, FBT_MAP = 9, FBT_BOOL = 26 };

typedef struct {
    const uint8_t *buf;
    size_t len;
    char *err;
    size_t errlen;
} fxb;

static int bad(fxb *f, const char *what, const char *field)
{
    if (field)
        snprintf(f->err, f->errlen, "field '%s': %s", field, what);
    else
        snprintf(f->err, f->errlen, "%s", what);
    return -1;
}

static int width_ok(size_t w)
{
    return w == 1 || w == 2 || w == 4 || w == 8;
}

/* Unsigned little-endian read of w bytes at pos; 0 if out of bounds. */
static int read_u(const fxb *f, size_t pos, size_t w, uint64_t *v)
{
    if (!width_ok(w) || pos > f->len || w > f->len - pos) return 0;
    uint64_t x = 0;
    for (size_t i = 0; i < w; i++) x |= (uint64_t)f->buf[pos + i] << (8 * i);
    *v = x;
    return 1;
}

static int read_s(const fxb *f, size_t pos, size_t w, int64_t *v)
{
    uint64_t u;
    if (!read_u(f, pos, w, &u)) return 0;
    if (w < 8 && (u >> (8 * w - 1)) & 1) u |= ~(uint64_t)0 << (8 * w); /* sign-extend */
    *v = (int64_t)u;
    return 1;
}

/* Position pos - offset, where offset is read at pos with width w. */
static int follow(const fxb *f, size_t pos, size_t w, size_t *out)
{
    uint64_t off;
    if (!read_u(f, pos, w, &off) || off > pos) return 0;
    *out = pos - (size_t)off;
    return 1;
}

typedef struct {
    size_t vals, n, w, keys, kw, types;
} fxb_map;

static int open_root_map(fxb *f, fxb_map *m)
{
    if (!f->buf || f->len < 3) return bad(f, "custom_options too short for a FlexBuffer", NULL);
    const size_t rw = f->buf[f->len - 1];
    const uint8_t packed = f->buf[f->len - 2];
    if (!width_ok(rw) || rw > f->len - 2) return bad(f, "FlexBuffer root width invalid", NULL);
    if ((packed >> 2) != FBT_MAP) return bad(f, "FlexBuffer root is not a map", NULL);
    const size_t root = f->len - 2 - rw;
    m->w = (size_t)1 << (packed & 3);
    uint64_t n, kw;
    if (!follow(f, root, rw, &m->vals) || m->vals < 3 * m->w) return bad(f, "FlexBuffer map offset out of bounds", NULL);
    if (!read_u(f, m->vals - m->w, m->w, &n) || !read_u(f, m->vals - 2 * m->w, m->w, &kw))
        return bad(f, "FlexBuffer map header out of bounds", NULL);
    if (n > f->len || !width_ok((size_t)kw)) return bad(f, "FlexBuffer map header invalid", NULL);
    m->n = (size_t)n;
    m->kw = (size_t)kw;
    m->types = m->vals + m->n * m->w;
    if (m->types > f->len || m->n > f->len - m->types) return bad(f, "FlexBuffer map values out of bounds", NULL);
    uint64_t kn;
    if (!follow(f, m->vals - 3 * m->w, m->w, &m->keys) || m->keys < m->kw || !read_u(f, m->keys - m->kw, m->kw, &kn) ||
        kn != n || m->keys + m->n * m->kw > f->len)
        return bad(f, "FlexBuffer map keys out of bounds", NULL);
    return 0;
}

/* Index of key `name` in the map, -1 if absent, -2 if malformed. */
static int find_key(fxb *f, const fxb_map *m, const char *name)
{
    const size_t nl = strlen(name);
    for (size_t i = 0; i < m->n; i++) {
        size_t s;
        if (!follow(f, m->keys + i * m->kw, m->kw, &s)) return -2;
        const uint8_t *z = memchr(f->buf + s, 0, f->len - s);
        if (!z) return -2;
        if ((size_t)(z - (f->buf + s)) == nl && memcmp(f->buf + s, name, nl) == 0) return (int)i;
    }
    return -1;
}

static int get_int(fxb *f, const fxb_map *m, const char *name, int32_t *out)
{
    const int i = find_key(f, m, name);
    if (i == -2) return bad(f, "key string out of bounds", name);
    if (i < 0) return bad(f, "missing", name);
    const size_t pos = m->vals + (size_t)i * m->w;
    const uint8_t packed = f->buf[m->types + (size_t)i];
    const size_t cw = (size_t)1 << (packed & 3);
    int64_t v = 0;
    uint64_t u = 0;
    size_t at;
    switch (packed >> 2) {
    case FBT_INT:
        if (!read_s(f, pos, m->w, &v)) return bad(f, "value out of bounds", name);
        break;
    case FBT_UINT:
    case FBT_BOOL:
        if (!read_u(f, pos, m->w, &u) || u > INT64_MAX) return bad(f, "value out of bounds", name);
        v = (int64_t)u;
        break;
    case FBT_INDIRECT_INT:
        if (!follow(f, pos, m->w, &at) || !read_s(f, at, cw, &v)) return bad(f, "indirect value out of bounds", name);
        break;
    case FBT_INDIRECT_UINT:
        if (!follow(f, pos, m->w, &at) || !read_u(f, at, cw, &u) || u > INT64_MAX)
            return bad(f, "indirect value out of bounds", name);
        v = (int64_t)u;
        break;
    default: return bad(f, "not an integer or bool", name);
    }
    if (v < INT32_MIN || v > INT32_MAX) return bad(f, "value does not fit int32", name);
    *out = (int32_t)v;
    return 0;
}

typedef struct {
    const char *key;
    int index;
} field;

static const field f_signal_window[] = {{"shift", MOTE_SIG_WINDOW_SHIFT}};
static const field f_signal_rfft[] = {{"fft_length", MOTE_SIG_RFFT_FFT_LENGTH}, {"T", MOTE_SIG_RFFT_T}};
static const field f_signal_energy[] = {{"start_index", MOTE_SIG_ENERGY_START}, {"end_index", MOTE_SIG_ENERGY_END}};
static const field f_signal_filter_bank[] = {{"num_channels", MOTE_SIG_FB_NUM_CHANNELS}};
static const field f_signal_spectral_subtraction[] = {
    {"num_channels", MOTE_SIG_SS_NUM_CHANNELS},
    {"smoothing", MOTE_SIG_SS_SMOOTHING},
    {"one_minus_smoothing", MOTE_SIG_SS_ONE_MINUS_SMOOTHING},
    {"alternate_smoothing", MOTE_SIG_SS_ALT_SMOOTHING},
    {"alternate_one_minus_smoothing", MOTE_SIG_SS_ALT_ONE_MINUS_SMOOTHING},
    {"min_signal_remaining", MOTE_SIG_SS_MIN_SIGNAL_REMAINING},
    {"smoothing_bits", MOTE_SIG_SS_SMOOTHING_BITS},
    {"spectral_subtraction_bits", MOTE_SIG_SS_SPECTRAL_SUBTRACTION_BITS},
    {"clamping", MOTE_SIG_SS_CLAMPING},
};
static const field f_signal_pcan[] = {{"snr_shift", MOTE_SIG_PCAN_SNR_SHIFT}};
static const field f_signal_filter_bank_log[] = {{"input_correction_bits", MOTE_SIG_LOG_INPUT_CORRECTION_BITS},
                              {"output_scale", MOTE_SIG_LOG_OUTPUT_SCALE}};
static const field f_motion_features[] = {{"bands", MOTE_MOTION_BANDS}};


typedef struct {
    const field *f;
    int n;
} field_list;
#define FIELDS(a) {a, (int)(sizeof(a) / sizeof((a)[0]))}

/* Each custom op's fields, as the registry (mote/ops.def) names them. */
#define fields_none {NULL, 0}
#define fields_signal_window FIELDS(f_signal_window)
#define fields_signal_rfft FIELDS(f_signal_rfft)
#define fields_signal_energy FIELDS(f_signal_energy)
#define fields_signal_filter_bank FIELDS(f_signal_filter_bank)
#define fields_signal_spectral_subtraction FIELDS(f_signal_spectral_subtraction)
#define fields_signal_pcan FIELDS(f_signal_pcan)
#define fields_signal_filter_bank_log FIELDS(f_signal_filter_bank_log)
#define fields_motion_features FIELDS(f_motion_features)
#define BUILTIN_FIELDS(ID, options)
#define CUSTOM_FIELDS(ID, options) [MOTE_OP_##ID] = {1, fields_##options},
static const struct {
    int custom;
    field_list fields;
} customs[MOTE_OP_COUNT] = {
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) tflite##_FIELDS(ID, options)
#include "mote/ops.def"
#undef MOTE_OP
};

int mote_tflite_custom_options(mote_op op, const uint8_t *buf, size_t len, mote_opts *opts,
                               char *err, size_t errlen)
{
    if ((unsigned)op >= MOTE_OP_COUNT || !customs[op].custom) {
        snprintf(err, errlen, "%s has no custom options decoder", mote_op_name(op));
        return -1;
    }
    const field *fields = customs[op].fields.f;
    const int nf = customs[op].fields.n;
    opts->n_iparams = 0;
    if (nf == 0) return 0; /* option-less ops: the (empty) map is not needed */
    fxb f = {buf, len, err, errlen};
    fxb_map m;
    if (open_root_map(&f, &m) != 0) return -1;
    int32_t vals[16];
    for (int i = 0; i < nf; i++)
        if (get_int(&f, &m, fields[i].key, &vals[fields[i].index]) != 0) return -1;
    for (int i = 0; i < nf; i++) opts->iparams[i] = vals[i];
    opts->n_iparams = nf;
    return 0;
}
