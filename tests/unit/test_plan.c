/* Arena planner: exact arenas of small hand-built graphs, op order choice,
 * in-place shifts D worked out by hand, the validator, and the real proof:
 * int8 reference kernels run with planned (overlapping) buffers and with
 * separate buffers must produce the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_isas.h"
#include "mote/kernel.h"
#include "plan/overlap.h"
#include "plan/plan.h"

#define MAXT 24
#define MAXN 8

/* A hand-built graph. Quantization arrays live here so tensors can point at them. */
typedef struct {
    mote_tensor t[MAXT];
    mote_node n[MAXN];
    int32_t io[MAXN][6];
    int32_t in[2], out[2];
    float scale[MAXT];
    int32_t zp[MAXT];
    mote_model m;
} graph;

static void g_init(graph *g)
{
    memset(g, 0, sizeof *g);
    g->m = (mote_model){.tensors = g->t, .nodes = g->n, .inputs = g->in, .outputs = g->out};
}

/* Tensor of dims (rank from the list), per-tensor quantized for integer types. */
static int32_t ten(graph *g, mote_dtype type, uint8_t flags, int rank, const int32_t *dims)
{
    int32_t i = g->m.n_tensors++;
    mote_tensor *t = &g->t[i];
    t->type = (uint8_t)type;
    t->rank = (uint8_t)rank;
    t->flags = flags;
    size_t n = 1;
    for (int d = 0; d < rank; d++) n *= (size_t)(t->dims[d] = dims[d]);
    t->bytes = n * mote_dtype_size(type);
    g->scale[i] = 1.0f;
    if (type != MOTE_F32) t->q = (mote_quant){.scale = &g->scale[i], .zero_point = &g->zp[i], .n = 1};
    if (flags & MOTE_TENSOR_INPUT) g->in[g->m.n_inputs++] = i;
    if (flags & MOTE_TENSOR_OUTPUT) g->out[g->m.n_outputs++] = i;
    return i;
}

static int32_t vec(graph *g, int32_t bytes, uint8_t flags)
{
    return ten(g, MOTE_I8, flags, 1, (const int32_t[]){bytes});
}

static mote_node *node(graph *g, mote_op op, int n_in, const int32_t *ins, int32_t out)
{
    int32_t k = g->m.n_nodes++;
    mote_node *n = &g->n[k];
    for (int i = 0; i < n_in; i++) g->io[k][i] = ins[i];
    g->io[k][n_in] = out;
    *n = (mote_node){.op = (uint16_t)op, .n_in = (uint16_t)n_in, .n_out = 1, .io = g->io[k]};
    return n;
}

static void plan_ok(graph *g, mote_plan *p)
{
    char err[256];
    assert_int_equal(mote_plan_model(&g->m, p), 0);
    if (mote_plan_validate(&g->m, p, err, sizeof err) != 0) fail_msg("%s", err);
}

/* ---- exact arenas (ops without in-place rules unless stated) ---- */

static void test_chain(void **state)
{
    (void)state;
    graph g;
    g_init(&g);
    int32_t x = vec(&g, 100, MOTE_TENSOR_INPUT), a = vec(&g, 200, 0), b = vec(&g, 50, 0);
    int32_t y = vec(&g, 30, MOTE_TENSOR_OUTPUT);
    node(&g, MOTE_OP_FULLY_CONNECTED, 1, &x, a);
    node(&g, MOTE_OP_FULLY_CONNECTED, 1, &a, b);
    node(&g, MOTE_OP_FULLY_CONNECTED, 1, &b, y);
    mote_plan p;
    plan_ok(&g, &p);
    /* peak pair x + a = 112 + 208 (16-byte aligned) */
    assert_int_equal(p.arena_bytes, 320);
    assert_int_equal(p.arena_bytes_no_overlap, 320);
    assert_string_equal(p.order_name, "file");
    assert_int_equal(p.live_bytes[0], 300);
    assert_int_equal(p.live_bytes[1], 250);
    assert_int_equal(p.live_bytes[2], 80);
    for (int s = 0; s < 3; s++) assert_true(p.high_water[s] <= p.arena_bytes);
    assert_true(p.n_tried >= 2);
    mote_plan_free(&p);
}

static void test_scratch(void **state)
{
    (void)state;
    graph g;
    g_init(&g);
    int32_t x = vec(&g, 64, MOTE_TENSOR_INPUT), a = vec(&g, 64, 0), y = vec(&g, 64, MOTE_TENSOR_OUTPUT);
    node(&g, MOTE_OP_FULLY_CONNECTED, 1, &x, a)->scratch_bytes = 100;
    node(&g, MOTE_OP_FULLY_CONNECTED, 1, &a, y)->scratch_bytes = 200;
    mote_plan p;
    plan_ok(&g, &p);
    /* step 1 holds a + y + 208 bytes of scratch; both scratches share bytes */
    assert_int_equal(p.arena_bytes, 336);
    assert_int_equal(p.live_bytes[0], 64 + 64 + 100);
    assert_int_equal(p.live_bytes[1], 64 + 64 + 200);
    assert_true(p.scratch_offset[0] != MOTE_PLAN_NONE && p.scratch_offset[1] != MOTE_PLAN_NONE);
    mote_plan_free(&p);
}

/* Two branches from x; file order keeps both 1 KiB tensors alive at once. */
static void test_branch_order(void **state)
{
    (void)state;
    graph g;
    g_init(&g);
    int32_t x = vec(&g, 16, MOTE_TENSOR_INPUT), a = vec(&g, 1024, 0), b = vec(&g, 1024, 0);
    int32_t c = vec(&g, 16, 0), d = vec(&g, 16, 0), y = vec(&g, 32, MOTE_TENSOR_OUTPUT);
    node(&g, MOTE_OP_FULLY_CONNECTED, 1, &x, a);
    node(&g, MOTE_OP_FULLY_CONNECTED, 1, &x, b);
    node(&g, MOTE_OP_FULLY_CONNECTED, 1, &b, c);
    node(&g, MOTE_OP_FULLY_CONNECTED, 1, &a, d);
    node(&g, MOTE_OP_CONCATENATION, 2, (const int32_t[]){c, d}, y);
    mote_plan p;
    plan_ok(&g, &p);
    /* best: one 1 KiB branch finished before the other starts: 1024 + x + c or d */
    assert_int_equal(p.arena_bytes, 1056);
    assert_string_not_equal(p.order_name, "file");
    int32_t step_of[5];
    for (int s = 0; s < 5; s++) step_of[p.order[s]] = s;
    assert_true(step_of[0] < step_of[3] && step_of[1] < step_of[2] && step_of[4] == 4);
    for (int s = 0; s < 5; s++) assert_true(p.live_bytes[s] <= 1056);
    mote_plan_free(&p);
}

static void test_concat(void **state)
{
    (void)state;
    graph g;
    g_init(&g);
    int32_t x1 = vec(&g, 32, MOTE_TENSOR_INPUT), x2 = vec(&g, 48, MOTE_TENSOR_INPUT);
    int32_t y = vec(&g, 80, MOTE_TENSOR_OUTPUT);
    node(&g, MOTE_OP_CONCATENATION, 2, (const int32_t[]){x1, x2}, y);
    mote_plan p;
    plan_ok(&g, &p);
    assert_int_equal(p.arena_bytes, 160);
    mote_plan_free(&p);
}

/* x -> LOGISTIC -> a -> TANH -> b; out = ADD(x, b): x stays live, a and b
 * share bytes, out takes x's or b's. */
static void test_residual_inplace(void **state)
{
    (void)state;
    graph g;
    g_init(&g);
    int32_t x = vec(&g, 64, MOTE_TENSOR_INPUT), a = vec(&g, 64, 0), b = vec(&g, 64, 0);
    int32_t y = vec(&g, 64, MOTE_TENSOR_OUTPUT);
    node(&g, MOTE_OP_LOGISTIC, 1, &x, a);
    node(&g, MOTE_OP_TANH, 1, &a, b);
    node(&g, MOTE_OP_ADD, 2, (const int32_t[]){x, b}, y);
    mote_plan p;
    plan_ok(&g, &p);
    assert_int_equal(p.arena_bytes, 128);
    assert_int_equal(p.arena_bytes_no_overlap, 192);
    assert_int_equal(p.tensor_offset[a], p.tensor_offset[b]);
    assert_int_equal(p.live_bytes[1], 192);
    mote_plan_free(&p);
}

/* Element-wise chain: every tensor at one offset, the graph input included. */
static void test_inplace_chain(void **state)
{
    (void)state;
    graph g;
    g_init(&g);
    int32_t x = vec(&g, 64, MOTE_TENSOR_INPUT), a = vec(&g, 64, 0), b = vec(&g, 64, 0);
    int32_t y = ten(&g, MOTE_I8, MOTE_TENSOR_OUTPUT, 2, (const int32_t[]){8, 8});
    node(&g, MOTE_OP_LOGISTIC, 1, &x, a);
    node(&g, MOTE_OP_TANH, 1, &a, b);
    node(&g, MOTE_OP_RESHAPE, 1, &b, y);
    mote_plan p;
    plan_ok(&g, &p);
    assert_int_equal(p.arena_bytes, 64);
    mote_plan_free(&p);
}

/* A variable is live for the whole run and never shares, even as a dying input. */
static void test_variable(void **state)
{
    (void)state;
    graph g;
    g_init(&g);
    int32_t x = vec(&g, 64, MOTE_TENSOR_INPUT), v = vec(&g, 64, MOTE_TENSOR_VARIABLE), a = vec(&g, 64, 0);
    int32_t y = vec(&g, 64, MOTE_TENSOR_OUTPUT);
    node(&g, MOTE_OP_ADD, 2, (const int32_t[]){v, x}, a);
    node(&g, MOTE_OP_LOGISTIC, 1, &a, y);
    mote_plan p;
    plan_ok(&g, &p);
    assert_int_equal(p.arena_bytes, 128);
    for (int32_t t = 0; t < 4; t++)
        if (t != v) assert_true(p.tensor_offset[t] + 64 <= p.tensor_offset[v] || p.tensor_offset[v] + 64 <= p.tensor_offset[t]);
    mote_plan_free(&p);
}

/* ---- in-place shifts D, by hand ---- */

static int64_t window_d(mote_op op, const int32_t in[4], const int32_t out[4], int kh, int kw, int stride, int dil,
                        int pad)
{
    graph g;
    g_init(&g);
    int32_t x = ten(&g, MOTE_I8, 0, 4, in), y = ten(&g, MOTE_I8, 0, 4, out), f = -1;
    if (op == MOTE_OP_CONV_2D) f = ten(&g, MOTE_I8, MOTE_TENSOR_CONST, 4, (const int32_t[]){out[3], kh, kw, in[3]});
    if (op == MOTE_OP_DEPTHWISE_CONV_2D) f = ten(&g, MOTE_I8, MOTE_TENSOR_CONST, 4, (const int32_t[]){1, kh, kw, out[3]});
    mote_node *n = node(&g, op, f < 0 ? 1 : 2, (const int32_t[]){x, f}, y);
    n->opts = (mote_opts){.padding = (uint8_t)pad, .stride_h = (int16_t)stride, .stride_w = (int16_t)stride,
                          .dilation_h = (int16_t)dil, .dilation_w = (int16_t)dil, .filter_h = (int16_t)kh,
                          .filter_w = (int16_t)kw};
    int64_t d = INT64_MIN;
    assert_int_equal(mote_overlap_rule(&g.m, n, 0, &d), 1);
    return d;
}

static void test_window_shifts(void **state)
{
    (void)state;
    const int SAME = MOTE_PAD_SAME, VALID = MOTE_PAD_VALID;
    /* 3x3 s1 SAME: interior pixel p ends (5 + 2) pixels after the first byte it reads */
    assert_int_equal(window_d(MOTE_OP_CONV_2D, (const int32_t[]){1, 25, 5, 64}, (const int32_t[]){1, 25, 5, 64}, 3, 3, 1, 1, SAME), 7 * 64);
    /* 3x3 s2 SAME 9x9x4 -> 5x5x8, pad 1: pixel (1,1) ends at 7*8 = 56, reads from (1,1)*4 = 40 */
    assert_int_equal(window_d(MOTE_OP_CONV_2D, (const int32_t[]){1, 9, 9, 4}, (const int32_t[]){1, 5, 5, 8}, 3, 3, 2, 1, SAME), 16);
    /* 3x3 VALID 6x6x2 -> 4x4x3: (12oy + 3ox + 3) - (12oy + 2ox), max at ox = 3 */
    assert_int_equal(window_d(MOTE_OP_CONV_2D, (const int32_t[]){1, 6, 6, 2}, (const int32_t[]){1, 4, 4, 3}, 3, 3, 1, 1, VALID), 6);
    /* 1x1, 8 -> 16 channels on 16 pixels: out - in + C_in = 256 - 128 + 8 */
    assert_int_equal(window_d(MOTE_OP_CONV_2D, (const int32_t[]){1, 4, 4, 8}, (const int32_t[]){1, 4, 4, 16}, 1, 1, 1, 1, VALID), 136);
    /* two batches of a 1x1 same-channel conv: one pixel */
    assert_int_equal(window_d(MOTE_OP_CONV_2D, (const int32_t[]){2, 3, 3, 8}, (const int32_t[]){2, 3, 3, 8}, 1, 1, 1, 1, SAME), 8);
    assert_int_equal(window_d(MOTE_OP_DEPTHWISE_CONV_2D, (const int32_t[]){1, 10, 10, 8}, (const int32_t[]){1, 10, 10, 8}, 3, 3, 1, 1, SAME), 12 * 8);
    /* 3x3 dilation 2 SAME on 8x8x1, pad 2: first rows 0,1,0,1,2,...; worst (oy-2)*8+ox-2 vs oy*8+ox+1 */
    assert_int_equal(window_d(MOTE_OP_CONV_2D, (const int32_t[]){1, 8, 8, 1}, (const int32_t[]){1, 8, 8, 1}, 3, 3, 1, 2, SAME), 19);
    /* 2x2 s2 VALID avg pool on 8x8x4: only pixel 0 reaches past its window start */
    assert_int_equal(window_d(MOTE_OP_AVERAGE_POOL_2D, (const int32_t[]){1, 8, 8, 4}, (const int32_t[]){1, 4, 4, 4}, 2, 2, 2, 1, VALID), 4);
    /* 3x3 s2 SAME max pool 7x7x2 -> 4x4x2, pad 1: pixels (0,0) and (0,1) give 2 */
    assert_int_equal(window_d(MOTE_OP_MAX_POOL_2D, (const int32_t[]){1, 7, 7, 2}, (const int32_t[]){1, 4, 4, 2}, 3, 3, 2, 1, SAME), 2);
    /* a block of B = 2 pixels written together adds one output pixel */
    mote_window_geom geo = {1, 25, 5, 64, 25, 5, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(mote_overlap_window_shift(&geo, 1), 448);
    assert_int_equal(mote_overlap_window_shift(&geo, 2), 512);
}

static void test_elementwise_rules(void **state)
{
    (void)state;
    graph g;
    g_init(&g);
    int32_t x = vec(&g, 10, 0), f = ten(&g, MOTE_F32, 0, 1, (const int32_t[]){10});
    int32_t s = vec(&g, 1, 0), y = vec(&g, 10, 0), y16 = ten(&g, MOTE_I16, 0, 1, (const int32_t[]){10});
    int64_t d = -1;
    /* widening: the input sits in the output's tail, (n - 1) * (4 - 1) */
    assert_int_equal(mote_overlap_rule(&g.m, node(&g, MOTE_OP_DEQUANTIZE, 1, &x, f), 0, &d), 1);
    assert_int_equal(d, 27);
    assert_int_equal(mote_overlap_rule(&g.m, node(&g, MOTE_OP_QUANTIZE, 1, &f, y), 0, &d), 1);
    assert_int_equal(d, 0);
    /* ADD: the full-shape input may be overwritten, the broadcast one not */
    mote_node *add = node(&g, MOTE_OP_ADD, 2, (const int32_t[]){x, s}, y);
    assert_int_equal(mote_overlap_rule(&g.m, add, 0, &d), 1);
    assert_int_equal(d, 0);
    assert_int_equal(mote_overlap_rule(&g.m, add, 1, &d), 0);
    /* int8 -> int16 SOFTMAX writes 2 bytes per element read: no rule */
    assert_int_equal(mote_overlap_rule(&g.m, node(&g, MOTE_OP_SOFTMAX, 1, &x, y16), 0, &d), 0);
    assert_int_equal(mote_overlap_rule(&g.m, node(&g, MOTE_OP_FULLY_CONNECTED, 1, &x, y), 0, &d), 0);
}

/* ---- validator ---- */

static void test_validator(void **state)
{
    (void)state;
    graph g;
    g_init(&g);
    int32_t x = vec(&g, 64, MOTE_TENSOR_INPUT), a = vec(&g, 64, 0), b = vec(&g, 64, 0);
    int32_t y = vec(&g, 64, MOTE_TENSOR_OUTPUT);
    node(&g, MOTE_OP_LOGISTIC, 1, &x, a);
    node(&g, MOTE_OP_TANH, 1, &a, b);
    node(&g, MOTE_OP_ADD, 2, (const int32_t[]){x, b}, y);
    mote_plan p;
    plan_ok(&g, &p);
    char err[256];
    size_t *o = p.tensor_offset;
    o[x] = 0, o[a] = 64, o[b] = 64, o[y] = 64, p.arena_bytes = 128;
    assert_int_equal(mote_plan_validate(&g.m, &p, err, sizeof err), 0);
    o[b] = 0; /* b over x, which is still read at step 2 */
    assert_int_equal(mote_plan_validate(&g.m, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "overlap"));
    o[b] = 80, p.arena_bytes = 160; /* b above a: TANH would overwrite a before reading it */
    assert_int_equal(mote_plan_validate(&g.m, &p, err, sizeof err), -1);
    o[b] = 72; /* misaligned */
    assert_int_equal(mote_plan_validate(&g.m, &p, err, sizeof err), -1);
    o[b] = 64, p.arena_bytes = 112; /* y runs past the arena */
    assert_int_equal(mote_plan_validate(&g.m, &p, err, sizeof err), -1);
    p.arena_bytes = 128;
    p.order[0] = 1, p.order[1] = 0; /* TANH before the LOGISTIC that feeds it */
    assert_int_equal(mote_plan_validate(&g.m, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "before"));
    mote_plan_free(&p);
}

/* ---- real kernels: planned overlap vs separate buffers ---- */

static uint64_t rng = 0x243f6a8885a308d3u;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return lo + (int32_t)(rng % (uint64_t)(hi - lo + 1));
}

static _Alignas(16) uint8_t persist[1 << 16];
static _Alignas(16) uint8_t weights[MAXT][1024];

/* Append a random int8 op reading tensor x; returns its output or -1 if the
 * drawn geometry is invalid. */
static int32_t random_op(graph *g, int32_t x, int last)
{
    const mote_tensor *in = &g->t[x];
    int op = rnd(0, 5);
    int32_t n = in->dims[0], h = in->dims[1], w = in->dims[2], c = in->dims[3];
    uint8_t oflag = last ? MOTE_TENSOR_OUTPUT : 0;
    if (op >= 4) { /* element-wise: ADD(x, x) or requantize */
        int32_t y = ten(g, MOTE_I8, oflag, 4, in->dims);
        g->scale[y] = op == 4 ? 1.5f : 0.7f;
        g->zp[y] = rnd(-3, 3);
        node(g, op == 4 ? MOTE_OP_ADD : MOTE_OP_QUANTIZE, op == 4 ? 2 : 1, (const int32_t[]){x, x}, y);
        return y;
    }
    int pool = op >= 2, pad = rnd(0, 1), kh = rnd(1, 4), kw = rnd(1, 4), sh = rnd(1, 3), sw = rnd(1, 3);
    int dil = pool ? 1 : rnd(1, 2), mult = op == 1 ? rnd(1, 2) : 1;
    int32_t oc = op == 0 ? rnd(1, 9) : c * mult;
    int32_t eh = (kh - 1) * dil + 1, ew = (kw - 1) * dil + 1;
    int32_t oh = pad == MOTE_PAD_SAME ? (h + sh - 1) / sh : (h - eh + sh) / sh;
    int32_t ow = pad == MOTE_PAD_SAME ? (w + sw - 1) / sw : (w - ew + sw) / sw;
    if (oh < 1 || ow < 1) return -1;
    int32_t y = ten(g, MOTE_I8, oflag, 4, (const int32_t[]){n, oh, ow, oc}), f = -1;
    if (!pool) {
        const int32_t fd[4] = {op == 0 ? oc : 1, kh, kw, op == 0 ? c : oc};
        f = ten(g, MOTE_I8, MOTE_TENSOR_CONST, 4, fd);
        if (g->t[f].bytes > sizeof weights[0]) return -1;
        for (size_t i = 0; i < g->t[f].bytes; i++) weights[f][i] = (uint8_t)rnd(-128, 127);
        g->t[f].data = weights[f];
        g->scale[y] = (float)(kh * kw * (op == 0 ? c : 1) * 40);
    } else {
        g->scale[y] = g->scale[x];
        g->zp[y] = g->zp[x];
    }
    mote_node *nd = node(g, op == 0 ? MOTE_OP_CONV_2D : op == 1 ? MOTE_OP_DEPTHWISE_CONV_2D
                            : op == 2 ? MOTE_OP_AVERAGE_POOL_2D : MOTE_OP_MAX_POOL_2D,
                         pool ? 1 : 2, (const int32_t[]){x, f}, y);
    nd->opts = (mote_opts){.padding = (uint8_t)pad, .stride_h = (int16_t)sh, .stride_w = (int16_t)sw,
                           .dilation_h = (int16_t)dil, .dilation_w = (int16_t)dil, .filter_h = (int16_t)kh,
                           .filter_w = (int16_t)kw, .depth_multiplier = (int16_t)mult};
    return y;
}

/* Kernel family the random chains are prepared for: every family's kernels
 * must keep the in-place contract their table entries state. */
static uint32_t chain_isa;

/* A random chain of 1..4 ops that prepares; 0 if this draw does not. */
static int random_chain(graph *g)
{
    g_init(g);
    const int32_t d[4] = {rnd(1, 2), rnd(1, 9), rnd(1, 9), rnd(1, 8)};
    int32_t x = ten(g, MOTE_I8, MOTE_TENSOR_INPUT, 4, d);
    g->zp[x] = rnd(-5, 5);
    int len = rnd(1, 4);
    for (int k = 0; k < len; k++)
        if ((x = random_op(g, x, k == len - 1)) < 0) return 0;
    mote_ctx ctx;
    return mote_prepare_isa(&g->m, &ctx, persist, sizeof persist, chain_isa) == MOTE_OK;
}

/* Run every step of g in `order` with tensor data already bound; copy each
 * op's output into outs[node]. */
static void run_steps(graph *g, const int32_t *order, const uint8_t *input, uint8_t outs[MAXN][4096])
{
    memcpy(g->t[g->in[0]].data, input, g->t[g->in[0]].bytes);
    for (int32_t s = 0; s < g->m.n_nodes; s++) {
        mote_node *n = &g->n[order[s]];
        mote_model one = g->m;
        one.nodes = n;
        one.n_nodes = 1;
        mote_invoke(&one);
        const mote_tensor *y = &g->t[n->io[n->n_in]];
        memcpy(outs[order[s]], y->data, y->bytes);
    }
}

static uint8_t ref[MAXN][4096], got[MAXN][4096];
static _Alignas(16) uint8_t sep[MAXT][4096], arena[1 << 16], scratch[MAXN][1 << 15];

static void check_outputs(const graph *g)
{
    for (int32_t k = 0; k < g->m.n_nodes; k++) {
        const mote_tensor *y = &g->t[g->n[k].io[g->n[k].n_in]];
        assert_memory_equal(ref[k], got[k], y->bytes);
    }
}

static void bind_separate(graph *g)
{
    for (int32_t t = 0; t < g->m.n_tensors; t++)
        if (!(g->t[t].flags & MOTE_TENSOR_CONST)) g->t[t].data = sep[t];
    for (int32_t k = 0; k < g->m.n_nodes; k++) {
        assert_true(g->n[k].scratch_bytes <= sizeof scratch[k]);
        g->n[k].scratch = g->n[k].scratch_bytes ? scratch[k] : NULL;
    }
}

static void test_kernels_planned_chains(void **state)
{
    (void)state;
    int runs = 0, overlapped = 0;
    const int32_t identity[MAXN] = {0, 1, 2, 3, 4, 5, 6, 7};
    while (runs < 1000) {
        chain_isa = kernel_isas[runs % N_KERNEL_ISAS];
        graph g;
        if (!random_chain(&g)) continue;
        int big = 0;
        for (int32_t t = 0; t < g.m.n_tensors; t++) big |= g.t[t].bytes > 4096;
        if (big) continue;
        uint8_t input[4096];
        for (size_t i = 0; i < g.t[0].bytes; i++) input[i] = (uint8_t)rnd(0, 255);
        bind_separate(&g);
        run_steps(&g, identity, input, ref);
        mote_plan p;
        plan_ok(&g, &p);
        assert_true(p.arena_bytes <= sizeof arena);
        overlapped += p.arena_bytes < p.arena_bytes_no_overlap;
        for (int32_t t = 0; t < g.m.n_tensors; t++)
            if (p.tensor_offset[t] != MOTE_PLAN_NONE) g.t[t].data = arena + p.tensor_offset[t];
        for (int32_t k = 0; k < g.m.n_nodes; k++)
            if (p.scratch_offset[k] != MOTE_PLAN_NONE) g.n[k].scratch = arena + p.scratch_offset[k];
        memset(arena, 0xa5, p.arena_bytes);
        run_steps(&g, p.order, input, got);
        check_outputs(&g);
        mote_plan_free(&p);
        runs++;
    }
    assert_true(overlapped > runs / 4); /* the rules were really exercised */
}

/* Each op alone with its output exactly D bytes below its input (above it
 * when D < 0): the tightest placement the rule allows, no alignment slack. */
static void test_kernels_exact_shift(void **state)
{
    (void)state;
    int runs = 0, negative = 0;
    while (runs < 2000) {
        chain_isa = kernel_isas[runs % N_KERNEL_ISAS];
        graph g;
        if (!random_chain(&g)) continue;
        int32_t k = rnd(0, g.m.n_nodes - 1);
        const mote_node *n = &g.n[k];
        const mote_tensor *x = &g.t[n->io[0]], *y = &g.t[n->io[n->n_in]];
        if (x->bytes > 4096 || y->bytes > 4096) continue;
        int64_t d;
        if (!mote_overlap_rule(&g.m, n, 0, &d)) continue; /* only a window wholly in the padding */
        assert_true(d <= (int64_t)y->bytes); /* negative: a dilated window skips the first rows */
        negative += d < 0;
        uint8_t input[4096];
        for (size_t i = 0; i < x->bytes; i++) input[i] = (uint8_t)rnd(0, 255);
        bind_separate(&g);
        memcpy(x->data, input, x->bytes);
        mote_model one = g.m;
        one.nodes = &g.n[k];
        one.n_nodes = 1;
        mote_invoke(&one);
        memcpy(ref[0], y->data, y->bytes);
        int64_t out_at = 8 + (d < 0 ? -d : 0);
        g.t[n->io[0]].data = arena + out_at + d;
        g.t[n->io[n->n_in]].data = arena + out_at;
        memcpy(arena + out_at + d, input, x->bytes);
        mote_invoke(&one);
        assert_memory_equal(ref[0], arena + out_at, y->bytes);
        runs++;
    }
    assert_true(negative > 0);
}

/* Element-wise kernels at the tightest placement: widening ops put the
 * input in the output's tail, the rest overwrite in place. */
static void test_kernels_elementwise_exact(void **state)
{
    (void)state;
    static const struct { mote_op op; mote_dtype in, out; float out_scale; int32_t out_zp; } cases[] = {
        {MOTE_OP_DEQUANTIZE, MOTE_I8, MOTE_F32, 1, 0},        {MOTE_OP_CAST, MOTE_I8, MOTE_I32, 1, 0},
        {MOTE_OP_CAST, MOTE_I32, MOTE_I8, 1, 0},              {MOTE_OP_CAST, MOTE_I16, MOTE_F32, 1, 0},
        {MOTE_OP_SOFTMAX, MOTE_I8, MOTE_I8, 1.0f / 256, -128}, {MOTE_OP_LOGISTIC, MOTE_I8, MOTE_I8, 1.0f / 256, -128},
        {MOTE_OP_TANH, MOTE_I8, MOTE_I8, 1.0f / 128, 0},      {MOTE_OP_RESHAPE, MOTE_I8, MOTE_I8, 1, 0},
        {MOTE_OP_QUANTIZE, MOTE_I16, MOTE_I8, 3, 1},
    };
    for (int rep = 0; rep < 40; rep++)
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            graph g;
            g_init(&g);
            const int32_t dims[2] = {rnd(1, 4), rnd(1, 120)};
            int32_t x = ten(&g, cases[k].in, 0, 2, dims), y = ten(&g, cases[k].out, 0, 2, dims);
            g.scale[x] = 0.1f;
            g.zp[x] = cases[k].in == MOTE_I8 ? rnd(-4, 4) : 0;
            g.scale[y] = cases[k].out_scale;
            g.zp[y] = cases[k].out_zp;
            if (cases[k].out == MOTE_F32 || cases[k].out == MOTE_I32) g.t[y].q.n = 0;
            if (cases[k].op == MOTE_OP_CAST) g.t[x].q.n = 0;
            node(&g, cases[k].op, 1, &x, y)->opts.beta = 1.0f;
            mote_ctx ctx;
            assert_int_equal(mote_prepare(&g.m, &ctx, persist, sizeof persist), MOTE_OK);
            int64_t d;
            assert_int_equal(mote_overlap_rule(&g.m, &g.n[0], 0, &d), 1);
            for (size_t i = 0; i < g.t[x].bytes; i++) sep[0][i] = (uint8_t)rnd(0, 255);
            g.t[x].data = sep[0];
            g.t[y].data = sep[1];
            mote_invoke(&g.m);
            g.t[x].data = arena + 16 + d;
            g.t[y].data = arena + 16;
            memcpy(arena + 16 + d, sep[0], g.t[x].bytes);
            mote_invoke(&g.m);
            assert_memory_equal(sep[1], arena + 16, g.t[y].bytes);
        }
}

/* FULLY_CONNECTED whose kernel expands its input into scratch: the scratch
 * exactly D below the input (the tightest placement the scratch rule
 * allows), and as planned, gives the bytes of separate buffers. */
static void test_kernels_fc_scratch_over_input(void **state)
{
    (void)state;
    int applied = 0, shared = 0;
    for (int rep = 0; rep < 400; rep++) {
        const uint32_t isa = kernel_isas[rep % N_KERNEL_ISAS];
        graph g;
        g_init(&g);
        const int32_t depth = rnd(1, 300), units = rnd(1, 24);
        int32_t x = ten(&g, MOTE_I8, MOTE_TENSOR_INPUT, 2, (const int32_t[]){1, depth});
        int32_t w = ten(&g, MOTE_I8, MOTE_TENSOR_CONST, 2, (const int32_t[]){units, depth});
        int32_t y = ten(&g, MOTE_I8, MOTE_TENSOR_OUTPUT, 2, (const int32_t[]){1, units});
        static _Alignas(16) int8_t wd[24 * 300];
        for (int32_t i = 0; i < units * depth; i++) wd[i] = (int8_t)rnd(-128, 127);
        g.t[w].data = wd;
        g.zp[x] = rnd(-5, 5);
        g.scale[w] = 1.0f / 64;
        g.scale[y] = (float)depth;
        g.zp[y] = rnd(-3, 3);
        node(&g, MOTE_OP_FULLY_CONNECTED, 2, (const int32_t[]){x, w}, y);
        mote_ctx ctx;
        assert_int_equal(mote_prepare_isa(&g.m, &ctx, persist, sizeof persist, isa), MOTE_OK);
        int64_t d;
        if (!mote_overlap_scratch_rule(&g.m, &g.n[0], &d)) continue;
        applied++;
        const size_t sb = g.n[0].scratch_bytes;
        assert_true(d > 0 && (size_t)d <= sb && sb + 64 <= sizeof arena);
        for (int32_t i = 0; i < depth; i++) sep[0][i] = (uint8_t)rnd(0, 255);
        g.t[x].data = sep[1];
        g.t[y].data = sep[2];
        g.n[0].scratch = scratch[0];
        memcpy(sep[1], sep[0], (size_t)depth);
        mote_invoke(&g.m);
        memcpy(ref[0], sep[2], (size_t)units);
        /* scratch at 16, input at 16 + D; output clear of both */
        memset(arena, 0xa5, sb + 64 + (size_t)units);
        g.n[0].scratch = arena + 16;
        g.t[x].data = arena + 16 + d;
        g.t[y].data = arena + 32 + sb;
        memcpy(arena + 16 + d, sep[0], (size_t)depth);
        mote_invoke(&g.m);
        assert_memory_equal(ref[0], arena + 32 + sb, (size_t)units);
        /* the planner uses the rule: the input no longer takes bytes of its own */
        mote_plan p;
        plan_ok(&g, &p);
        assert_true(p.arena_bytes <= p.arena_bytes_no_overlap);
        if (p.scratch_offset[0] + sb > p.tensor_offset[x]) { /* overlapping (alignment may leave no gain) */
            shared++;
            assert_true(p.scratch_offset[0] + (size_t)d <= p.tensor_offset[x]);
            char err[256];
            p.scratch_offset[0] = p.tensor_offset[x]; /* scratch over the input, not below it */
            assert_int_equal(mote_plan_validate(&g.m, &p, err, sizeof err), -1);
        }
        mote_plan_free(&p);
    }
    assert_true(applied > 50 && shared > applied / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_scratch),
        cmocka_unit_test(test_branch_order),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_residual_inplace),
        cmocka_unit_test(test_inplace_chain),
        cmocka_unit_test(test_variable),
        cmocka_unit_test(test_window_shifts),
        cmocka_unit_test(test_elementwise_rules),
        cmocka_unit_test(test_validator),
        cmocka_unit_test(test_kernels_planned_chains),
        cmocka_unit_test(test_kernels_exact_shift),
        cmocka_unit_test(test_kernels_elementwise_exact),
        cmocka_unit_test(test_kernels_fc_scratch_over_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
