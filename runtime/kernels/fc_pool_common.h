/* Internal to FULLY_CONNECTED, the 2-D pools and MEAN: the persistent data
 * each prepare fills in and the eval variants that read it. */
#ifndef MOTE_FC_POOL_COMMON_H
#define MOTE_FC_POOL_COMMON_H

#include "mote/kernel.h"

/* FULLY_CONNECTED: out[b][o] = act(sum_i in[b][i] * w[o][i] + bias[o]). */
typedef struct {
    int32_t batches, depth, units;  /* depth = weights dim 1 (input features) */
    /* int8 */
    int32_t input_offset, filter_offset, output_offset; /* -zp_in, -zp_w, +zp_out */
    int32_t act_min, act_max;
    int32_t multiplier;
    int32_t shift;
    /* float32 */
    float f_min, f_max;
    /* per-channel int8 weights: followed by `units` multipliers, then `units` shifts */
} mote_fc_params;

static inline const int32_t *mote_fc_ch_multiplier(const mote_fc_params *p)
{
    return (const int32_t *)(const void *)(p + 1);
}
static inline const int32_t *mote_fc_ch_shift(const mote_fc_params *p)
{
    return mote_fc_ch_multiplier(p) + p->units;
}

/* Optimized int8 variants, chosen after the reference prepare (see
 * mote_conv_s8_opt_choose in conv_common.h for the contract). */
mote_status mote_fc_s8_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
mote_status mote_fc_s8_x86_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
/* x86-64 kernel (fc_s8_x86.c); see MOTE_X86_EVAL. */
void mote_fc_s8_x86_eval(const mote_node *n, const mote_tensor *t);
/* aarch64 NEON kernel (fc_s8_neon.c): MOTE_ISA_NEON; see conv_common.h. */
mote_status mote_fc_s8_neon_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
void mote_fc_s8_neon_eval(const mote_node *n, const mote_tensor *t);

void mote_fc_s8_eval(const mote_node *node, const mote_tensor *tensors);
/* int4 weights (MOTE_I4): reference fc_s8_s4.c, optimized fc_s8_s4_opt.c */
void mote_fc_s8_s4_eval(const mote_node *node, const mote_tensor *tensors);
mote_status mote_fc_s8_s4_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
void mote_fc_s8_s4_opt_eval(const mote_node *node, const mote_tensor *tensors);
/* binary weights (MOTE_I1): reference fc_s8_s1.c, optimized fc_s8_s1_opt.c */
void mote_fc_s8_s1_eval(const mote_node *node, const mote_tensor *tensors);
mote_status mote_fc_s8_s1_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
void mote_fc_s8_s1_opt_eval(const mote_node *node, const mote_tensor *tensors);
/* sparse int8 weights (MOTE_I8_SPARSE, mote/sparse.h): reference fc_s8_sparse.c, optimized fc_s8_sparse_opt.c */
void mote_fc_s8_sparse_eval(const mote_node *node, const mote_tensor *tensors);
mote_status mote_fc_s8_sparse_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t);
void mote_fc_s8_sparse_opt_eval(const mote_node *node, const mote_tensor *tensors);
void mote_fc_s8_per_channel_eval(const mote_node *node, const mote_tensor *tensors);
void mote_fc_f32_eval(const mote_node *node, const mote_tensor *tensors);

/* AVERAGE_POOL_2D / MAX_POOL_2D on NHWC tensors. */
typedef struct {
    int32_t batches, in_h, in_w, depth, out_h, out_w;
    int32_t stride_h, stride_w, filter_h, filter_w, pad_h, pad_w;
    int32_t act_min, act_max;
    float f_min, f_max;
} mote_pool_params;

void mote_avg_pool_s8_eval(const mote_node *node, const mote_tensor *tensors);
void mote_avg_pool_f32_eval(const mote_node *node, const mote_tensor *tensors);
void mote_max_pool_s8_eval(const mote_node *node, const mote_tensor *tensors);
void mote_max_pool_f32_eval(const mote_node *node, const mote_tensor *tensors);

/* MEAN: every input element adds into the output element whose index drops
 * the reduced axes; out_stride[d] is 0 for a reduced input axis d. */
typedef struct {
    int32_t rank;
    int32_t in_dims[MOTE_MAX_DIMS];
    int32_t out_stride[MOTE_MAX_DIMS];
    int32_t n_in, n_out, n_reduced; /* n_reduced: elements per output */
    /* int8 */
    int32_t requantize;             /* 0: in/out share scale and zero point */
    int32_t in_zp, out_zp;
    int32_t multiplier;             /* in_scale/out_scale with 1/n_reduced folded in */
    int32_t shift;
} mote_mean_params;

void mote_mean_s8_eval(const mote_node *node, const mote_tensor *tensors);
void mote_mean_f32_eval(const mote_node *node, const mote_tensor *tensors);

#endif
