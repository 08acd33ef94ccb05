/* .mote files: the writer and the loader round-trip real models bit for bit
 * (against the host model and TFLM's golden outputs), and the loader refuses
 * damaged files with the exact status. Structural edits recompute the CRC so
 * that the structure checks, not the checksum, are what catch them. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/compiled.h"
#include "mote/kernel.h"
#include "mote/mote_file.h"

#define NONE MOTE_FILE_NONE
#define TREC 40u /* tensor record */

/* ---- helpers ------------------------------------------------------------------------------------------------ */

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return b;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void *aligned(size_t n)
{
    void *p = NULL;
    assert_int_equal(posix_memalign(&p, 16, n ? n : 1), 0);
    return p;
}

/* A model written as a .mote file: `f` is a 16-aligned working copy that
 * tests edit, `orig` the writer's bytes, restored by reset(). */
typedef struct {
    mote_host_model *hm;
    uint8_t *orig, *f;
    size_t len;
    uint8_t *arena;
    size_t arena_bytes;
    mote_model m;
} mfile;

/* Kernels for this host (optimized: packed constants have no data) or the
 * reference ones (every constant in the file). */
static void open_model_isa(mfile *x, const char *rel, uint32_t isa)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/models/%s.tflite", MOTE_SHARED_DIR, rel);
    memset(x, 0, sizeof *x);
    x->hm = mote_host_model_load_isa(path, isa, err, sizeof err);
    if (!x->hm) fail_msg("%s: %s", path, err);
    if (mote_write_mote(x->hm, &x->orig, &x->len, err, sizeof err) != 0) fail_msg("%s: %s", path, err);
    x->f = aligned(x->len);
    memcpy(x->f, x->orig, x->len);
    assert_int_equal(mote_file_arena_bytes(x->f, x->len, &x->arena_bytes), MOTE_FILE_OK);
    x->arena = aligned(x->arena_bytes);
}

static void open_model(mfile *x, const char *rel)
{
    open_model_isa(x, rel, mote_isa_host());
}

static void close_model(mfile *x)
{
    mote_host_model_free(x->hm);
    free(x->orig);
    free(x->f);
    free(x->arena);
}

static void reset(mfile *x)
{
    memcpy(x->f, x->orig, x->len);
}

static void fix_crc(mfile *x)
{
    wr32(x->f + 12, mote_crc32(0, x->f + 16, rd32(x->f + 8) - 16u));
}

static mote_file_status load(mfile *x, int32_t *err_index)
{
    int32_t dummy;
    return mote_file_load(x->f, x->len, x->arena, x->arena_bytes, &x->m, err_index ? err_index : &dummy);
}

/* Edit with the CRC recomputed, load, restore: the status and *err_index. */
#define EXPECT(x, want_status, want_index)                          \
    do {                                                            \
        int32_t ei_ = -2;                                           \
        fix_crc(x);                                                 \
        assert_int_equal(load((x), &ei_), (want_status));           \
        assert_int_equal(ei_, (want_index));                        \
        reset(x);                                                   \
    } while (0)

static uint32_t H(const mfile *x, int off) { return rd32(x->f + off); }
static uint8_t *trec(mfile *x, uint32_t i) { return x->f + H(x, 40) + i * TREC; }
static uint8_t *nrec(mfile *x, uint32_t i) { return x->f + H(x, 44) + i * H(x, 56); }
static uint8_t *ioent(mfile *x, uint32_t k) { return x->f + H(x, 48) + 4u * k; }

/* First tensor record matching: const with data, activation with data, quantized, per-channel. */
enum { T_CONST, T_ACT, T_QUANT, T_PERCHAN };
static uint32_t find_tensor(mfile *x, int kind)
{
    for (uint32_t i = 0; i < H(x, 16); i++) {
        uint8_t *r = trec(x, i);
        uint32_t data = rd32(r + 32), q = rd32(r + 36);
        int is_const = r[2] & MOTE_TENSOR_CONST;
        if (kind == T_CONST && is_const && data != NONE && rd32(r + 28) > 16) return i;
        if (kind == T_ACT && !is_const && data != NONE && rd32(r + 28) > 0) return i;
        if (kind == T_QUANT && q != NONE) return i;
        if (kind == T_PERCHAN && q != NONE && rd32(x->f + q) > 1) return i;
    }
    fail_msg("no tensor of kind %d", kind);
    return 0;
}

/* ---- round trip ---------------------------------------------------------------------------------------------- */

/* Model <dir>/<name>.tflite against golden/<name>/: int8 byte for byte, float32 within a tolerance. */
static void round_trip(const char *dir, const char *golden, int golden_exact)
{
    mfile x;
    char rel[256];
    snprintf(rel, sizeof rel, "%s/%s", dir, golden);
    open_model(&x, rel);
    const mote_model *hmm = &x.hm->m;

    /* the arena the device computes is what the compiler predicts for this pointer width */
    mote_compiled_sizes sz;
    mote_compiled_sizes_of(x.hm, &sz);
    assert_int_equal(x.arena_bytes, mote_file_arena_for(&sz, (int)sizeof(void *)));

    int32_t ei = -2;
    assert_int_equal(mote_file_load(x.f, x.len, x.arena, x.arena_bytes, &x.m, &ei), MOTE_FILE_OK);
    assert_int_equal(ei, -1);
    assert_int_equal(x.m.n_tensors, hmm->n_tensors);
    assert_int_equal(x.m.n_nodes, hmm->n_nodes);
    assert_int_equal(x.m.n_inputs, hmm->n_inputs);
    assert_int_equal(x.m.n_outputs, hmm->n_outputs);

    /* weights are used in place in the file, activations live in the arena */
    for (int32_t i = 0; i < x.m.n_tensors; i++) {
        const mote_tensor *t = &x.m.tensors[i], *h = &hmm->tensors[i];
        assert_int_equal(t->bytes, h->bytes);
        assert_int_equal(t->type, h->type);
        assert_memory_equal(t->dims, h->dims, sizeof t->dims);
        if (!t->bytes) continue;
        const uint8_t *d = t->data;
        if (t->flags & MOTE_TENSOR_PACKED) { /* repacked into its readers' parameter blocks */
            assert_true((h->flags & MOTE_TENSOR_PACKED) && (t->flags & MOTE_TENSOR_CONST) && d == NULL);
            continue;
        }
        if (t->flags & MOTE_TENSOR_CONST) {
            assert_true(d >= x.f && d + t->bytes <= x.f + x.len);
            assert_memory_equal(d, h->data, t->bytes);
        } else {
            assert_true(d >= x.arena && d + t->bytes <= x.arena + x.arena_bytes);
        }
    }
    for (int32_t i = 0; i < x.m.n_nodes; i++) {
        assert_int_equal(x.m.nodes[i].op, hmm->nodes[i].op);
        assert_true(x.m.nodes[i].eval == hmm->nodes[i].eval);
        assert_int_equal(x.m.nodes[i].data_bytes, hmm->nodes[i].data_bytes);
    }

    size_t in_bytes = mote_host_input_bytes(x.hm), out_bytes = mote_host_output_bytes(x.hm);
    uint8_t *host_out = malloc(out_bytes), *mote_out = malloc(out_bytes);
    for (int v = 0; v < 4; v++) {
        char path[1024];
        size_t n = 0, gn = 0;
        snprintf(path, sizeof path, "%s/golden/%s/in_%02d.bin", MOTE_SHARED_DIR, golden, v);
        uint8_t *in = read_all(path, &n);
        snprintf(path, sizeof path, "%s/golden/%s/out_%02d.bin", MOTE_SHARED_DIR, golden, v);
        uint8_t *gold = read_all(path, &gn);
        if (!in || !gold) fail_msg("missing golden vector %s", path);
        assert_int_equal(n, in_bytes);
        assert_int_equal(gn, out_bytes);

        /* each golden vector ran on a fresh interpreter: reset state first */
        mote_reset(&x.hm->m);
        mote_host_run(x.hm, in, host_out);

        mote_reset(&x.m);
        const uint8_t *p = in;
        for (int32_t i = 0; i < x.m.n_inputs; i++) {
            mote_tensor *t = &x.m.tensors[x.m.inputs[i]];
            memcpy(t->data, p, t->bytes);
            p += t->bytes;
        }
        mote_invoke(&x.m);
        uint8_t *q = mote_out;
        for (int32_t i = 0; i < x.m.n_outputs; i++) {
            const mote_tensor *t = &x.m.tensors[x.m.outputs[i]];
            memcpy(q, t->data, t->bytes);
            q += t->bytes;
        }

        assert_memory_equal(mote_out, host_out, out_bytes);
        if (golden_exact) {
            assert_memory_equal(mote_out, gold, out_bytes);
        } else { /* float32: golden_test's rule, 1e-4 of the largest |ref| */
            double maxref = 0, maxdiff = 0;
            for (size_t i = 0; i < out_bytes / 4; i++) {
                float g, r;
                memcpy(&g, mote_out + 4 * i, 4);
                memcpy(&r, gold + 4 * i, 4);
                maxref = fmax(maxref, fabs(r));
                double d = fabs((double)g - r);
                if (isnan(d)) d = INFINITY;
                if (d > maxdiff) maxdiff = d;
            }
            assert_true(maxdiff <= 1e-4 * maxref + 1e-6);
        }
        free(in);
        free(gold);
    }
    /* loading and running never wrote to the file (it may be in flash) */
    assert_memory_equal(x.f, x.orig, x.len);
    free(host_out);
    free(mote_out);
    close_model(&x);
}

static void test_rt_kws(void **s) { (void)s; round_trip("mlperf-tiny", "kws_int8", 1); }
static void test_rt_ic(void **s) { (void)s; round_trip("mlperf-tiny", "ic_resnet8_int8", 1); }
static void test_rt_vww(void **s) { (void)s; round_trip("mlperf-tiny", "vww_mobilenet_96_int8", 1); }
static void test_rt_ad(void **s) { (void)s; round_trip("mlperf-tiny", "ad_autoencoder_int8", 1); }
static void test_rt_ad_f32(void **s) { (void)s; round_trip("mlperf-tiny", "ad_autoencoder_float32", 0); }
/* kernel state (noise estimate) and scratch */
static void test_rt_preproc(void **s) { (void)s; round_trip("tflm", "micro_speech_audio_preprocessor_int8", 1); }
/* variable tensors (LSTM state) */
static void test_rt_lstm(void **s) { (void)s; round_trip("tflm", "mnist_lstm_int8", 1); }

/* ---- header, checksum, buffers ------------------------------------------------------------------------------- */

static void test_truncated(void **s)
{
    (void)s;
    mfile x;
    open_model(&x, "mlperf-tiny/kws_int8");
    size_t cuts[210], nc = 0;
    for (size_t c = 0; c <= 200; c++) cuts[nc++] = c;
    size_t more[] = {x.len / 4, x.len / 2, H(&x, 48), x.len - 16, x.len - 1};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) cuts[nc++] = more[i];
    for (size_t i = 0; i < nc; i++) {
        size_t bytes = 0;
        int32_t ei = -2;
        /* a shorter buffer than the header says: always TRUNCATED, before anything is read past it */
        assert_int_equal(mote_file_arena_bytes(x.f, cuts[i], &bytes), MOTE_FILE_ERR_TRUNCATED);
        assert_int_equal(mote_file_load(x.f, cuts[i], x.arena, x.arena_bytes, &x.m, &ei), MOTE_FILE_ERR_TRUNCATED);
        assert_int_equal(ei, -1);
    }
    close_model(&x);

    /* A file cut and relabelled (header length = cut, CRC recomputed): what was cut off is
     * referenced, so the structure checks refuse it. The last 15 bytes may be padding. */
    open_model(&x, "tflm/hello_world_int8");
    for (uint32_t cut = 64; cut + 16 <= x.len; cut++) {
        wr32(x.f + 8, cut);
        fix_crc(&x);
        int32_t ei;
        assert_int_equal(mote_file_load(x.f, cut, x.arena, x.arena_bytes, &x.m, &ei), MOTE_FILE_ERR_CORRUPT);
        reset(&x);
    }
    close_model(&x);
}

static void test_checksum(void **s)
{
    (void)s;
    mfile x;
    open_model(&x, "tflm/hello_world_int8");
    assert_int_equal(load(&x, NULL), MOTE_FILE_OK);
    /* every byte after the header and the CRC itself, one bit each */
    for (size_t i = 12; i < x.len; i++) {
        if (i == 16) i = 64;
        x.f[i] ^= (uint8_t)(1u << (i % 8));
        int32_t ei = -2;
        assert_int_equal(load(&x, &ei), MOTE_FILE_ERR_CHECKSUM);
        assert_int_equal(ei, -1);
        x.f[i] = x.orig[i];
    }
    assert_int_equal(load(&x, NULL), MOTE_FILE_OK);
    close_model(&x);

    open_model(&x, "mlperf-tiny/kws_int8"); /* a sample of a larger file, whole-byte flips */
    for (size_t i = 64; i < x.len; i += 97) {
        x.f[i] ^= 0xFF;
        assert_int_equal(load(&x, NULL), MOTE_FILE_ERR_CHECKSUM);
        x.f[i] = x.orig[i];
    }
    assert_int_equal(mote_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u); /* the CRC-32 check value */
    close_model(&x);
}

static void test_header(void **s)
{
    (void)s;
    mfile x;
    open_model(&x, "mlperf-tiny/kws_int8");
    size_t bytes;
    struct {
        int off, width;
        uint32_t value;
        mote_file_status want;
    } cases[] = {
        {0, 1, 'X', MOTE_FILE_ERR_MAGIC},
        {3, 1, 'e', MOTE_FILE_ERR_MAGIC},
        {4, 2, 2, MOTE_FILE_ERR_VERSION},
        {4, 2, 0, MOTE_FILE_ERR_VERSION},
        {6, 2, MOTE_RUNTIME_ABI + 1, MOTE_FILE_ERR_ABI},
        {52, 4, (uint32_t)sizeof(mote_opts) + 4, MOTE_FILE_ERR_ABI}, /* mote_opts of another size */
        {56, 4, 0, MOTE_FILE_ERR_ABI},                               /* node record size */
        {8, 4, 0, MOTE_FILE_ERR_CORRUPT},                            /* file length < header */
        {8, 4, 63, MOTE_FILE_ERR_CORRUPT},
        {8, 4, 0xFFFFFFFFu, MOTE_FILE_ERR_TRUNCATED},                /* longer than the buffer */
        {16, 4, 65536, MOTE_FILE_ERR_CORRUPT},                       /* n_tensors */
        {20, 4, 0x10000000u, MOTE_FILE_ERR_CORRUPT},                 /* n_nodes */
        {24, 4, 36, MOTE_FILE_ERR_CORRUPT},                          /* n_inputs > n_tensors */
        {40, 4, 0xFFFFFFF0u, MOTE_FILE_ERR_CORRUPT},                 /* tensor table outside the file */
        {40, 4, 66, MOTE_FILE_ERR_CORRUPT},                          /* misaligned */
        {44, 4, (uint32_t)x.len - 16, MOTE_FILE_ERR_CORRUPT},        /* node table past the end */
        {48, 4, (uint32_t)x.len, MOTE_FILE_ERR_CORRUPT},             /* io array */
        {60, 4, 1, MOTE_FILE_ERR_CORRUPT},                           /* io_count < inputs + outputs */
        {60, 4, 0x7FFFFFFFu, MOTE_FILE_ERR_CORRUPT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].width == 1) x.f[cases[i].off] = (uint8_t)cases[i].value;
        else if (cases[i].width == 2) wr16(x.f + cases[i].off, (uint16_t)cases[i].value);
        else wr32(x.f + cases[i].off, cases[i].value);
        if (cases[i].off >= 16) fix_crc(&x); /* (no CRC for a length longer than the buffer) */
        int32_t ei = -2;
        assert_int_equal(mote_file_load(x.f, x.len, x.arena, x.arena_bytes, &x.m, &ei), cases[i].want);
        assert_int_equal(ei, -1);
        assert_int_equal(mote_file_arena_bytes(x.f, x.len, &bytes), cases[i].want);
        reset(&x);
    }

    /* every status has its own name */
    for (int a = MOTE_FILE_OK; a <= MOTE_FILE_ERR_ARENA; a++)
        for (int b = a + 1; b <= MOTE_FILE_ERR_ARENA; b++)
            assert_string_not_equal(mote_file_status_name((mote_file_status)a),
                                    mote_file_status_name((mote_file_status)b));
    close_model(&x);
}

static void test_buffers(void **s)
{
    (void)s;
    mfile x;
    open_model(&x, "mlperf-tiny/kws_int8");
    size_t bytes;
    int32_t ei;
    /* the file buffer must be 16-aligned: constants are read in place as typed arrays */
    uint8_t *raw = aligned(x.len + 16);
    for (int shift = 1; shift < 16; shift += 7) {
        memcpy(raw + shift, x.f, x.len);
        assert_int_equal(mote_file_arena_bytes(raw + shift, x.len, &bytes), MOTE_FILE_ERR_ALIGN);
        assert_int_equal(mote_file_load(raw + shift, x.len, x.arena, x.arena_bytes, &x.m, &ei), MOTE_FILE_ERR_ALIGN);
    }
    free(raw);

    /* the arena: exactly enough loads, one byte less does not, nor a misaligned one */
    assert_int_equal(mote_file_load(x.f, x.len, x.arena, x.arena_bytes - 1, &x.m, &ei), MOTE_FILE_ERR_ARENA);
    uint8_t *big = aligned(x.arena_bytes + 16);
    assert_int_equal(mote_file_load(x.f, x.len, big + 8, x.arena_bytes, &x.m, &ei), MOTE_FILE_ERR_ARENA);
    assert_int_equal(mote_file_load(x.f, x.len, big, x.arena_bytes + 16, &x.m, &ei), MOTE_FILE_OK);
    free(big);
    assert_int_equal(mote_file_load(x.f, x.len, x.arena, x.arena_bytes, &x.m, &ei), MOTE_FILE_OK);

    /* a plan near 4 GB: the arena need is computed without wrapping (in 64 bits) */
    wr32(x.f + 32, 0xFFFFFFF0u);
    fix_crc(&x);
    assert_int_equal(load(&x, NULL), MOTE_FILE_ERR_ARENA);
    if (sizeof(size_t) == 8) {
        assert_int_equal(mote_file_arena_bytes(x.f, x.len, &bytes), MOTE_FILE_OK);
        assert_true(bytes > 0xFFFFFFF0u);
    }
    reset(&x);
    close_model(&x);
}

/* ---- structure (CRC recomputed) ------------------------------------------------------------------------------ */

static void test_tensors(void **s)
{
    (void)s;
    mfile x;
    open_model_isa(&x, "mlperf-tiny/kws_int8", MOTE_ISA_REFERENCE);
    const uint32_t len = (uint32_t)x.len, plan = H(&x, 32), nt = H(&x, 16);
    EXPECT(&x, MOTE_FILE_OK, -1);

    /* constant data outside the file, wrapping, misaligned */
    int32_t c = (int32_t)find_tensor(&x, T_CONST);
    uint32_t cbytes = rd32(trec(&x, c) + 28);
    wr32(trec(&x, c) + 32, len);                      EXPECT(&x, MOTE_FILE_ERR_CORRUPT, c);
    wr32(trec(&x, c) + 32, (len - cbytes + 16) & ~15u); EXPECT(&x, MOTE_FILE_ERR_CORRUPT, c);
    wr32(trec(&x, c) + 32, 0xFFFFFFF0u);              EXPECT(&x, MOTE_FILE_ERR_CORRUPT, c);
    wr32(trec(&x, c) + 32, rd32(trec(&x, c) + 32) + 4); EXPECT(&x, MOTE_FILE_ERR_CORRUPT, c);
    wr32(trec(&x, c) + 32, NONE);                     EXPECT(&x, MOTE_FILE_ERR_CORRUPT, c); /* bytes but no data */

    /* activation outside the plan; the last byte of the plan is fine */
    int32_t a = (int32_t)find_tensor(&x, T_ACT);
    uint32_t abytes = rd32(trec(&x, a) + 28);
    wr32(trec(&x, a) + 32, plan - abytes + 1); EXPECT(&x, MOTE_FILE_ERR_CORRUPT, a);
    wr32(trec(&x, a) + 32, plan);              EXPECT(&x, MOTE_FILE_ERR_CORRUPT, a);
    wr32(trec(&x, a) + 32, 0xFFFFFFF0u);       EXPECT(&x, MOTE_FILE_ERR_CORRUPT, a);
    wr32(trec(&x, a) + 32, plan - abytes);     EXPECT(&x, MOTE_FILE_OK, -1);

    /* record fields: dtype, rank, a negative dim, a byte count that disagrees with the shape */
    trec(&x, a)[0] = MOTE_DTYPE_COUNT;         EXPECT(&x, MOTE_FILE_ERR_CORRUPT, a);
    trec(&x, a)[1] = MOTE_MAX_DIMS + 1;        EXPECT(&x, MOTE_FILE_ERR_CORRUPT, a);
    trec(&x, a)[1] = 1;                        EXPECT(&x, MOTE_FILE_ERR_CORRUPT, a); /* shape vs bytes */
    wr32(trec(&x, a) + 4, 0x80000000u);        EXPECT(&x, MOTE_FILE_ERR_CORRUPT, a);
    wr32(trec(&x, a) + 28, abytes + 1);        EXPECT(&x, MOTE_FILE_ERR_CORRUPT, a);
    /* a constant variable: mote_reset would write into the file */
    trec(&x, c)[2] |= MOTE_TENSOR_VARIABLE;    EXPECT(&x, MOTE_FILE_ERR_CORRUPT, c);

    /* quantization records */
    int32_t q = (int32_t)find_tensor(&x, T_QUANT);
    uint32_t qoff = rd32(trec(&x, q) + 36);
    wr32(trec(&x, q) + 36, len - 4);            EXPECT(&x, MOTE_FILE_ERR_CORRUPT, q);
    wr32(trec(&x, q) + 36, 0xFFFFFFFCu - 4);    EXPECT(&x, MOTE_FILE_ERR_CORRUPT, q);
    wr32(trec(&x, q) + 36, qoff + 2);           EXPECT(&x, MOTE_FILE_ERR_CORRUPT, q);
    wr32(x.f + qoff, 0);                        EXPECT(&x, MOTE_FILE_ERR_CORRUPT, q); /* no scale */
    wr32(x.f + qoff, 65537);                    EXPECT(&x, MOTE_FILE_ERR_CORRUPT, q); /* too many */
    int32_t pc = (int32_t)find_tensor(&x, T_PERCHAN);
    uint32_t pq = rd32(trec(&x, pc) + 36);
    uint8_t prank = trec(&x, pc)[1];
    wr32(x.f + pq + 4, prank);                  EXPECT(&x, MOTE_FILE_ERR_CORRUPT, pc); /* axis past the rank */
    wr32(x.f + pq, rd32(x.f + pq) - 1);         EXPECT(&x, MOTE_FILE_ERR_CORRUPT, pc); /* scales != channels */
    /* the record moved to the end of the file, its arrays 4 bytes past it (what it overwrites belongs to
     * the last tensors, checked after this one) */
    uint32_t pn = rd32(x.f + pq), moved = len - 8 - 8 * pn + 4;
    assert_true(pc < (int32_t)nt && moved > rd32(trec(&x, pc) + 36));
    memmove(x.f + moved, x.f + pq, 8);
    wr32(trec(&x, pc) + 36, moved);             EXPECT(&x, MOTE_FILE_ERR_CORRUPT, pc);
    close_model(&x);
}

static void test_nodes(void **s)
{
    (void)s;
    mfile x;
    open_model(&x, "mlperf-tiny/kws_int8");
    const uint32_t len = (uint32_t)x.len, nt = H(&x, 16), nn = H(&x, 20), ioc = H(&x, 60);
    const int32_t k = (int32_t)nn / 2; /* a node in the middle */
    uint8_t *r = nrec(&x, (uint32_t)k);
    const uint16_t op = (uint16_t)(r[0] | r[1] << 8);
    const uint32_t io_at = rd32(r + 8), n_in = (uint32_t)(r[4] | r[5] << 8);
    const mote_op_def *def = mote_op_lookup((mote_op)op);
    assert_non_null(def);

    /* op, kernel index, kernel name hash */
    wr16(r, MOTE_OP_COUNT);                   EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k);
    wr16(r, 0xFFFF);                          EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k);
    r[2] = def->n_kernels;                    EXPECT(&x, MOTE_FILE_ERR_KERNEL, k);
    r[2] = 255;                               EXPECT(&x, MOTE_FILE_ERR_KERNEL, k);
    wr32(r + 12, rd32(r + 12) ^ 1u);          EXPECT(&x, MOTE_FILE_ERR_KERNEL, k);
    /* another op with the same kernel index: the name hash tells them apart */
    wr16(r, op == MOTE_OP_CONV_2D ? MOTE_OP_DEPTHWISE_CONV_2D : MOTE_OP_CONV_2D); EXPECT(&x, MOTE_FILE_ERR_KERNEL, k);

    /* io: a tensor index past the table, an absent output, a span past the io array */
    wr32(ioent(&x, io_at), nt);               EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k);
    wr32(ioent(&x, io_at), 0xFFFFFFFEu);      EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k); /* -2 */
    wr32(ioent(&x, io_at + n_in), NONE);      EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k); /* output -1 */
    wr32(r + 8, ioc - 1);                     EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k);
    wr32(r + 8, 0xFFFFFFFFu);                 EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k);
    r[6] = r[7] = 0;                          EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k); /* no output */
    /* the graph's own inputs and outputs (checked after the nodes: err_index -1) */
    wr32(ioent(&x, 0), nt);                   EXPECT(&x, MOTE_FILE_ERR_CORRUPT, -1);
    wr32(ioent(&x, H(&x, 24)), NONE);         EXPECT(&x, MOTE_FILE_ERR_CORRUPT, -1);

    /* parameter block outside the file, wrapping, misaligned */
    uint32_t params = rd32(r + 16);
    assert_int_not_equal(params, NONE);
    wr32(r + 16, len);                        EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k);
    wr32(r + 16, 0xFFFFFFF0u);                EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k);
    wr32(r + 16, params + 4);                 EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k);
    wr32(r + 20, len);                        EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k);
    wr32(r + 20, len - params + 1);            EXPECT(&x, MOTE_FILE_ERR_CORRUPT, k);
    wr32(r + 20, len - params);               EXPECT(&x, MOTE_FILE_OK, -1); /* up to the last byte */
    close_model(&x);
}

/* Constants repacked into their readers' parameter blocks: no data in the
 * file, and only kernels that declare them packed may name them. */
static void test_packed(void **s)
{
    (void)s;
    mfile x;
    open_model_isa(&x, "mlperf-tiny/kws_int8", MOTE_ISA_PORTABLE);
    int32_t node = -1, slot = -1;
    for (uint32_t i = 0; i < H(&x, 20) && node < 0; i++) {
        uint8_t *r = nrec(&x, i);
        const mote_op_def *def = mote_op_lookup((mote_op)(r[0] | r[1] << 8));
        for (uint32_t j = 0; j < (uint32_t)(r[4] | r[5] << 8) && node < 0; j++) {
            uint32_t ti = rd32(ioent(&x, rd32(r + 8) + j));
            if (ti != NONE && (trec(&x, ti)[2] & MOTE_TENSOR_PACKED)) {
                assert_true((def->kernels[r[2]].packed >> j) & 1u);
                node = (int32_t)i;
                slot = (int32_t)j;
            }
        }
    }
    assert_true(node >= 0);
    uint8_t *r = nrec(&x, (uint32_t)node);
    uint32_t t = rd32(ioent(&x, rd32(r + 8) + (uint32_t)slot));
    assert_int_equal(rd32(trec(&x, t) + 32), NONE);
    EXPECT(&x, MOTE_FILE_OK, -1);
    wr32(trec(&x, t) + 32, 16);                 EXPECT(&x, MOTE_FILE_ERR_CORRUPT, (int32_t)t); /* data too */
    trec(&x, t)[2] &= (uint8_t)~MOTE_TENSOR_CONST; EXPECT(&x, MOTE_FILE_ERR_CORRUPT, (int32_t)t);
    /* the op's reference kernel (index 0) reads its inputs: it may not take a dataless one */
    const mote_op_def *def = mote_op_lookup((mote_op)(r[0] | r[1] << 8));
    r[2] = 0;
    wr32(r + 12, mote_kernel_name_hash(def->kernels[0].name));
    EXPECT(&x, MOTE_FILE_ERR_CORRUPT, node);
    close_model(&x);
}

static void test_scratch_state(void **s)
{
    (void)s;
    mfile x;
    open_model(&x, "tflm/micro_speech_audio_preprocessor_int8");
    const uint32_t plan = H(&x, 32), region = H(&x, 36), nn = H(&x, 20);
    int32_t sc = -1, st = -1;
    for (uint32_t i = 0; i < nn; i++) {
        if (sc < 0 && rd32(nrec(&x, i) + 28)) sc = (int32_t)i;
        if (st < 0 && rd32(nrec(&x, i) + 32)) st = (int32_t)i;
    }
    assert_true(sc >= 0 && st > 0 && region > 0);
    uint8_t *rs = nrec(&x, (uint32_t)sc), *rt = nrec(&x, (uint32_t)st);
    uint32_t sbytes = rd32(rs + 28), stbytes = rd32(rt + 32);
    EXPECT(&x, MOTE_FILE_OK, -1);

    /* scratch: outside the plan, wrapping, unplaced, misaligned; the end of the plan is fine */
    wr32(rs + 24, plan - sbytes + 8);         EXPECT(&x, MOTE_FILE_ERR_CORRUPT, sc);
    wr32(rs + 24, 0xFFFFFFF8u);               EXPECT(&x, MOTE_FILE_ERR_CORRUPT, sc);
    wr32(rs + 24, NONE);                      EXPECT(&x, MOTE_FILE_ERR_CORRUPT, sc);
    wr32(rs + 24, 4);                         EXPECT(&x, MOTE_FILE_ERR_CORRUPT, sc);
    wr32(rs + 28, plan + 1);                  EXPECT(&x, MOTE_FILE_ERR_CORRUPT, sc);
    wr32(rs + 24, (plan - sbytes) & ~15u);    EXPECT(&x, MOTE_FILE_OK, -1);

    /* state: more than the region holds, alone or after an earlier node took some */
    wr32(rt + 32, region + 1);                EXPECT(&x, MOTE_FILE_ERR_CORRUPT, st);
    wr32(rt + 32, 0xFFFFFFF8u);               EXPECT(&x, MOTE_FILE_ERR_CORRUPT, st); /* align16 wraps in 32 bits */
    wr32(nrec(&x, 0) + 32, 1);                EXPECT(&x, MOTE_FILE_ERR_CORRUPT, st);
    wr32(x.f + 36, region - 16);              EXPECT(&x, MOTE_FILE_ERR_CORRUPT, st);
    assert_true(stbytes <= region);
    close_model(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rt_kws),      cmocka_unit_test(test_rt_ic),     cmocka_unit_test(test_rt_vww),
        cmocka_unit_test(test_rt_ad),       cmocka_unit_test(test_rt_ad_f32), cmocka_unit_test(test_rt_preproc),
        cmocka_unit_test(test_rt_lstm),     cmocka_unit_test(test_truncated), cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_header),      cmocka_unit_test(test_buffers),   cmocka_unit_test(test_tensors),
        cmocka_unit_test(test_nodes),       cmocka_unit_test(test_scratch_state), cmocka_unit_test(test_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
