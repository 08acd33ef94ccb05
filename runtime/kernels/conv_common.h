/* Internal to the CONV_2D and DEPTHWISE_CONV_2D kernels: geometry, the
 * parameters prepare computes once, and the eval variants. */
#ifndef MOTE_CONV_COMMON_H
#define MOTE_CONV_COMMON_H

#include "mote/kernel.h"

/* Everything eval needs beyond node->opts. Lives in persistent memory. */
typedef struct mote_conv_data {
    int32_t pad_h, pad_w;        /* top / left padding */
    int32_t depth_mult;          /* depthwise: output channels per input channel */
    /* int8 */
    int32_t input_offset;        /* -input zero point */
    int32_t output_offset;       /* output zero point */
    int32_t act_min, act_max;
    int32_t channels;            /* output channels */
    /* float and hybrid */
    float fact_min, fact_max;
    int32_t per_channel_scale;   /* hybrid: filter scales differ per output channel */
    float filter_scale0;         /* hybrid per tensor */
    /* int8: followed by `channels` multipliers, then `channels` shifts */
} mote_conv_data;

static inline size_t mote_conv_data_bytes(int32_t channels)
{
    return sizeof(mote_conv_data) + 2 * (size_t)channels * sizeof(int32_t);
}
static inline const int32_t *mote_conv_mult(const mote_conv_data *d)
{
    return (const int32_t *)(const void *)(d + 1);
}
static inline const int32_t *mote_conv_shift(const mote_conv_data *d)
{
    return mote_conv_mult(d) + d->channels;
}

/* TFLite's output size for SAME / VALID, with dilation. <= 0 means no output. */
static inline int32_t mote_conv_out_size(int padding, int32_t in, int32_t filter, int32_t stride,
                                         int32_t dilation)
{
    int32_t eff = (filter - 1) * dilation + 1;
    if (padding == MOTE_PAD_SAME) return (in + stride - 1) / stride;
    return (in + stride - eff) / stride;
}

/* Leading (top / left) padding: half the total, the odd pixel going to the end. */
static inline int32_t mote_conv_pad(int32_t in, int32_t filter, int32_t stride, int32_t dilation,
                                    int32_t out)
{
    int32_t eff = (filter - 1) * dilation + 1;
    int32_t total = (out - 1) * stride + eff - in;
    return total > 0 ? total / 2 : 0;
}

/* Shared prepare steps (conv.c).
 * Checks stride/dilation/padding options, computes the output size from
 * input [N,H,W,*] and a filter of kh x kw, compares it with out's shape
 * (N, H, W; the caller checks channels) and stores the padding. */
mote_status mote_conv_geometry(mote_ctx *ctx, const mote_node *n, const mote_tensor *in,
                               const mote_tensor *out, int32_t kh, int32_t kw, mote_conv_data *d);
/* int8: offsets, activation range and one multiplier/shift per output channel
 * (filter_axis: the filter dimension of the output channels; the filter is
 * quantized per tensor or per output channel). */
mote_status mote_conv_quant_s8(mote_ctx *ctx, const mote_node *n, const mote_tensor *in,
                               const mote_tensor *filter, const mote_tensor *bias,
                               const mote_tensor *out, int filter_axis, mote_conv_data *d);

/* Eval variants. */
void mote_conv_s8_eval(const mote_node *n, const mote_tensor *t);
void mote_conv_f32_eval(const mote_node *n, const mote_tensor *t);
void mote_conv_hybrid_f32_eval(const mote_node *n, const mote_tensor *t);
void mote_depthwise_s8_eval(const mote_node *n, const mote_tensor *t);
/* sparse int8 filters (MOTE_I8_SPARSE): conv_s8_sparse.c */
void mote_conv_s8_sparse_eval(const mote_node *n, const mote_tensor *t);
/* optimized int8 (conv_s8_opt.c packs their parameters) */
void mote_conv_s8_1x1_eval(const mote_node *n, const mote_tensor *t);
void mote_conv_s8_im2col_eval(const mote_node *n, const mote_tensor *t);
void mote_depthwise_f32_eval(const mote_node *n, const mote_tensor *t);
void mote_depthwise_s8_3x3_eval(const mote_node *n, const mote_tensor *t); /* depthwise_s8_3x3.c */

/* Optimized int8 variants. A chooser runs after the reference int8 prepare
 * has set n->eval and the parameter block (mote_conv_data, multipliers,
 * shifts): it may switch n->eval to a faster variant of the op's table and
 * grow the block (mote_node_data_grow) with folded biases and packed
 * weights, or leave the node as it is. MOTE_OK either way; another status
 * only on a real failure (arena). *_x86 run for MOTE_ISA_X86 first, *_opt
 * (portable C, SMLAD inner loops on DSP cores) otherwise or when x86 declined. */
mote_status mote_conv_s8_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
mote_status mote_conv_s8_x86_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
mote_status mote_depthwise_s8_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
mote_status mote_depthwise_s8_x86_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
/* x86-64 kernels (conv_s8_x86.c, depthwise_s8_x86.c); see MOTE_X86_EVAL. */
void mote_conv_s8_x86_eval(const mote_node *n, const mote_tensor *t);
void mote_depthwise_s8_x86_eval(const mote_node *n, const mote_tensor *t);
/* aarch64 NEON kernels (conv_s8_neon.c, depthwise_s8_neon.c), tried first
 * for MOTE_ISA_NEON. Their prepare is plain C and their evals exist on every
 * build (scalar C over the same packed block off aarch64), so any host can
 * prepare a model for an aarch64 board. */
mote_status mote_conv_s8_neon_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
mote_status mote_depthwise_s8_neon_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
void mote_conv_s8_neon_eval(const mote_node *n, const mote_tensor *t);
void mote_depthwise_s8_neon_eval(const mote_node *n, const mote_tensor *t);

/* int8 activations with int4 weights (MOTE_I4, s4.h): mote_conv_quant_s8's
 * parameters once the filter's zero points are checked to be 0; reference
 * kernels conv_s8_s4.c, depthwise_s8_s4.c. */
mote_status mote_conv_quant_s4(mote_ctx *ctx, const mote_node *n, const mote_tensor *in,
                               const mote_tensor *filter, const mote_tensor *bias,
                               const mote_tensor *out, int filter_axis, mote_conv_data *d);
void mote_conv_s8_s4_eval(const mote_node *n, const mote_tensor *t);
void mote_depthwise_s8_s4_eval(const mote_node *n, const mote_tensor *t);
/* optimized (conv_s8_s4_opt.c, depthwise_s8_s4_opt.c): int4 weights kept packed in the parameter block */
mote_status mote_conv_s8_s4_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
mote_status mote_depthwise_s8_s4_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
void mote_conv_s8_s4_opt_eval(const mote_node *n, const mote_tensor *t);
void mote_depthwise_s8_s4_opt_eval(const mote_node *n, const mote_tensor *t);
/* binary weights (MOTE_I1, s1.h): mote_conv_quant_s4's checks (alpha is the
 * filter scale); reference conv_s8_s1.c, depthwise_s8_s1.c, optimized
 * (multiply-free, s1_simd.h) conv_s8_s1_opt.c, depthwise_s8_s1_opt.c */
void mote_conv_s8_s1_eval(const mote_node *n, const mote_tensor *t);
void mote_depthwise_s8_s1_eval(const mote_node *n, const mote_tensor *t);
mote_status mote_conv_s8_s1_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
mote_status mote_depthwise_s8_s1_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
void mote_conv_s8_s1_opt_eval(const mote_node *n, const mote_tensor *t);
void mote_depthwise_s8_s1_opt_eval(const mote_node *n, const mote_tensor *t);

/* Hybrid scratch: per batch scale (float) and zero point (int32), then the
 * int8 copy of the input. */
static inline size_t mote_conv_hybrid_scratch(int32_t batches, int64_t in_elems)
{
    return (size_t)batches * (sizeof(float) + sizeof(int32_t)) + (size_t)in_elems;
}

#endif
