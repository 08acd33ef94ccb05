/* SOFTMAX over the last dimension.
 *
 * int8 -> int8 (output scale 1/256, zero point -128) and int8 -> int16
 * (scale 1/65536, zero point -32768) follow TFLite's reference integer
 * softmax: input differences to the row max are scaled by beta*scale into
 * Q5.26, exponentiated with gemmlowp's exp_on_negative_values, summed in
 * Q12.19 and divided through a fixed-point reciprocal. float32 uses expf. */
#include <math.h>

#include "mote/fixedpoint.h"
#include "mote/kernel.h"
#include "mote/quant.h"

#define SCALED_DIFF_INT_BITS 5
#define ACCUM_INT_BITS 12

typedef struct {
    int32_t rows, depth;
    int32_t beta_mult; /* beta * input_scale in Q5.26 units, as multiplier */
    int beta_shift;    /* left shift, >= 0 */
    int32_t diff_min;  /* differences below this give exp() == 0 */
    float beta;
} softmax_params;

/* exp(beta * scale * diff) in Q0 for diff <= 0. */
static inline int32_t softmax_exp(const softmax_params *p, int32_t diff)
{
    const int32_t scaled = mote_srdhm((int32_t)((uint32_t)diff << p->beta_shift), p->beta_mult);
    return mote_fp_exp_on_negative_values(scaled, SCALED_DIFF_INT_BITS);
}

/* Shared int8-input body; out_bits is 8 or 16. */
static inline void softmax_s8_row(const softmax_params *p, const int8_t *in, void *out, int out_bits)
{
    int32_t max = INT8_MIN;
    for (int32_t c = 0; c < p->depth; c++)
        if (in[c] > max) max = in[c];
    int32_t sum = 0; /* Q12 */
    for (int32_t c = 0; c < p->depth; c++) {
        const int32_t diff = in[c] - max;
        if (diff >= p->diff_min)
            sum += mote_fp_rescale(softmax_exp(p, diff), 0, ACCUM_INT_BITS);
    }
    /* 1/sum: normalise sum to [1, 2) as 1 + x, x in Q0, take 1/(1+x) and
     * remember how many bits the sum had above 1.0. */
    const int headroom_plus_one = mote_clz32((uint32_t)sum);
    const int bits_over_unit = ACCUM_INT_BITS - headroom_plus_one;
    const int32_t x = (int32_t)(((uint32_t)sum << headroom_plus_one) - (1u << 31));
    const int32_t recip = mote_fp_one_over_one_plus_x_for_x_in_0_1(x);
    const int exponent = bits_over_unit + 31 - out_bits;
    const int32_t out_min = out_bits == 8 ? INT8_MIN : INT16_MIN;
    const int32_t out_max = out_bits == 8 ? INT8_MAX : INT16_MAX;
    for (int32_t c = 0; c < p->depth; c++) {
        const int32_t diff = in[c] - max;
        int32_t v = out_min;
        if (diff >= p->diff_min) {
            const int32_t e = softmax_exp(p, diff);
            v = mote_clamp_i32(mote_rdivpot(mote_fp_mul(recip, e), exponent) + out_min, out_min, out_max);
        }
        if (out_bits == 8)
            ((int8_t *)out)[c] = (int8_t)v;
        else
            ((int16_t *)out)[c] = (int16_t)v;
    }
}

void mote_softmax_s8_eval(const mote_node *n, const mote_tensor *t)
{
    const softmax_params *p = (const softmax_params *)n->data;
    const int8_t *in = (const int8_t *)mote_in(n, t, 0)->data;
    int8_t *out = (int8_t *)mote_out(n, t, 0)->data;
    for (int32_t r = 0; r < p->rows; r++)
        softmax_s8_row(p, in + (size_t)r * p->depth, out + (size_t)r * p->depth, 8);
}

void mote_softmax_s8_s16_eval(const mote_node *n, const mote_tensor *t)
{
    const softmax_params *p = (const softmax_params *)n->data;
    const int8_t *in = (const int8_t *)mote_in(n, t, 0)->data;
    int16_t *out = (int16_t *)mote_out(n, t, 0)->data;
    for (int32_t r = 0; r < p->rows; r++)
        softmax_s8_row(p, in + (size_t)r * p->depth, out + (size_t)r * p->depth, 16);
}

void mote_softmax_f32_eval(const mote_node *n, const mote_tensor *t)
{
    const softmax_params *p = (const softmax_params *)n->data;
    const float *in = (const float *)mote_in(n, t, 0)->data;
    float *out = (float *)mote_out(n, t, 0)->data;
    for (int32_t r = 0; r < p->rows; r++) {
        const float *x = in + (size_t)r * p->depth;
        float *y = out + (size_t)r * p->depth;
        float max = -3.40282347e+38f;
        for (int32_t c = 0; c < p->depth; c++)
            if (x[c] > max) max = x[c];
        float sum = 0.0f;
        for (int32_t c = 0; c < p->depth; c++) {
            y[c] = expf((x[c] - max) * p->beta);
            sum += y[c];
        }
        for (int32_t c = 0; c < p->depth; c++) y[c] = y[c] / sum;
    }
}

/* beta*scale as a Q5.26 multiplier (capped at 2^31-1) and the most negative
 * difference that cannot overflow the left shift. 0 when beta*scale is too
 * small for TFLite's scheme (the multiplier must be >= 1). */
static int softmax_int_params(softmax_params *p, double beta, double scale)
{
    double real = beta * scale * (double)(1 << (31 - SCALED_DIFF_INT_BITS));
    const double cap = 2147483647.0;
    if (!(real >= 1.0)) return 0;
    if (real > cap) real = cap;
    mote_quantize_multiplier(real, &p->beta_mult, &p->beta_shift);
    const double radius = (double)((1 << SCALED_DIFF_INT_BITS) - 1) *
                          (double)(1LL << (31 - SCALED_DIFF_INT_BITS)) / (double)(1LL << p->beta_shift);
    p->diff_min = -(int32_t)floor(radius);
    return 1;
}

static mote_status softmax_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 1 || n->n_out != 1 || !mote_in(n, t, 0))
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SOFTMAX needs one input and one output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    const int32_t out_idx = n->io[1];
    if (in->rank < 1) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "SOFTMAX input needs at least one dimension");
    if (!mote_same_shape(in, out)) return mote_fail(ctx, MOTE_ERR_SHAPE, out_idx, "SOFTMAX output shape differs from input");
    softmax_params *p = (softmax_params *)mote_node_data(ctx, n, sizeof(softmax_params));
    if (!p) return MOTE_ERR_ARENA;
    p->depth = mote_dim(in, -1);
    p->rows = p->depth > 0 ? (int32_t)(mote_tensor_elems(in) / p->depth) : 0;
    p->beta = n->opts.beta;
    if (in->type == MOTE_F32 && out->type == MOTE_F32) {
        n->eval = mote_softmax_f32_eval;
        return MOTE_OK;
    }
    if (in->type != MOTE_I8 || (out->type != MOTE_I8 && out->type != MOTE_I16))
        return mote_fail(ctx, MOTE_ERR_TYPE, out_idx, "SOFTMAX supports int8->int8, int8->int16 and float32");
    if (in->q.n < 1 || out->q.n < 1 || !(in->q.scale[0] > 0.0f))
        return mote_fail(ctx, MOTE_ERR_PARAM, in->q.n < 1 ? n->io[0] : out_idx, "SOFTMAX needs quantized tensors");
    if (out->type == MOTE_I8) {
        if (out->q.zero_point[0] != -128 || out->q.scale[0] != 1.0f / 256.0f)
            return mote_fail(ctx, MOTE_ERR_PARAM, out_idx, "SOFTMAX int8 output needs scale 1/256 and zero point -128");
        n->eval = mote_softmax_s8_eval;
    } else {
        const float want = 1.0f / 65536.0f;
        if (out->q.zero_point[0] != -32768 || fabsf(out->q.scale[0] - want) > 0.001f * want)
            return mote_fail(ctx, MOTE_ERR_PARAM, out_idx, "SOFTMAX int16 output needs scale 1/65536 and zero point -32768");
        n->eval = mote_softmax_s8_s16_eval;
    }
    if (!softmax_int_params(p, (double)n->opts.beta, (double)in->q.scale[0]))
        return mote_fail(ctx, MOTE_ERR_PARAM, n->io[0], "SOFTMAX beta * input scale is too small");
    return MOTE_OK;
}

static const mote_kernel softmax_kernels[] = {
    MOTE_KERNEL("softmax_s8", mote_softmax_s8_eval),
    MOTE_KERNEL("softmax_s8_s16", mote_softmax_s8_s16_eval),
    MOTE_KERNEL("softmax_f32", mote_softmax_f32_eval),
};

const mote_op_def mote_op_softmax = {softmax_prepare, MOTE_KERNELS(softmax_kernels)};
