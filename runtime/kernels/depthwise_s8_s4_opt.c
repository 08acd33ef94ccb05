/* DEPTHWISE_CONV_2D, int8 activations with int4 weights, optimized for
 * depth multiplier 1 and channels a multiple of 4 where the 3x3 kernel
 * (depthwise_s8_3x3, which takes int4 filters too) does not apply: the weights are unpacked
 * once per inference into scratch as int16 lane pairs, (w0,w2) (w1,w3) per
 * tap and 4 channels, in the order SXTB16 splits 4 input channels; then per
 * output pixel and 4 channels the accumulators stay in registers over the
 * window: per tap 1 input word, 2 splits, 2 offset adds, 2 weight words and
 * 4 halfword multiply-accumulates (SMLABB/SMLATT) for 4 MACs. The sum is the
 * reference's, sum w (x - zp) over the taps inside the input, and the output
 * stage is the reference's (mote_mul_qm), so the kernel is exact with no
 * bound to check. Scratch: kh * kw * channels int16 (2 bytes per weight). */
#include "conv_common.h"
#include "mote/quant.h"
#include "s4_simd.h"

mote_status mote_depthwise_s8_s4_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    (void)ctx;
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1);
    const mote_conv_data *d = n->data;
    const int32_t c = d->channels;
    if (d->depth_mult != 1 || c % 4 != 0 || in->dims[3] != c || !mote_const_bytes(ft)) return MOTE_OK;
    n->scratch_bytes = (size_t)ft->dims[1] * (size_t)ft->dims[2] * (size_t)c * sizeof(int16_t);
    n->eval = mote_depthwise_s8_s4_opt_eval;
    return MOTE_OK;
}

/* Lane pair (lo, hi) as one word. */
static inline uint32_t lanes(int32_t lo, int32_t hi)
{
    return (uint32_t)(uint16_t)(int16_t)lo | (uint32_t)(uint16_t)(int16_t)hi << 16;
}

void mote_depthwise_s8_s4_opt_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const int32_t *q_mult = mote_conv_mult(d), *q_shift = mote_conv_shift(d);
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_tensor *out = mote_out(n, t, 0);
    const int8_t *x = in->data;
    const uint8_t *wq = ft->data;
    const int32_t *bias = bt ? (const int32_t *)bt->data : NULL;
    int8_t *y = out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], c = in->dims[3];
    const int32_t kh = ft->dims[1], kw = ft->dims[2];
    const int32_t oh = out->dims[1], ow = out->dims[2];
    const int32_t sh = n->opts.stride_h, sw = n->opts.stride_w;
    const int32_t dh = n->opts.dilation_h, dw = n->opts.dilation_w;
    const uint32_t off = lanes(d->input_offset, d->input_offset);
    uint32_t *w16 = n->scratch;
    /* tap t, channels 4g..4g+3: w16[(t * c / 4 + g) * 2 + {0, 1}] = (w0,w2), (w1,w3) */
    for (int32_t i = 0; i < kh * kw * c; i += 4) {
        w16[i / 2] = lanes(mote_s4_at(wq, (size_t)i), mote_s4_at(wq, (size_t)i + 2));
        w16[i / 2 + 1] = lanes(mote_s4_at(wq, (size_t)i + 1), mote_s4_at(wq, (size_t)i + 3));
    }
    for (int32_t b = 0; b < batches; b++) {
        for (int32_t oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * sh - d->pad_h;
            for (int32_t ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * sw - d->pad_w;
                for (int32_t g = 0; g < c; g += 4) {
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    for (int32_t fy = 0; fy < kh; fy++) {
                        const int32_t iy = y0 + dh * fy;
                        if (iy < 0 || iy >= ih) continue;
                        const int8_t *xr = x + (((size_t)b * ih + iy) * iw) * c + g;
                        const uint32_t *wr = w16 + ((size_t)fy * kw * c + g) / 2;
                        for (int32_t fx = 0; fx < kw; fx++) {
                            const int32_t ix = x0 + dw * fx;
                            if (ix < 0 || ix >= iw) continue;
                            uint32_t xe, xo;
                            mote_s4_split(mote_load_u32(xr + (size_t)ix * c), &xe, &xo);
                            xe = mote_s4_add16(xe, off); /* x - zp: |x - zp| <= 255 fits a lane */
                            xo = mote_s4_add16(xo, off);
                            const uint32_t *wp = wr + (size_t)fx * (size_t)c / 2;
                            a0 = mote_s4_mlabb(wp[0], xe, a0);
                            a2 = mote_s4_mlatt(wp[0], xe, a2);
                            a1 = mote_s4_mlabb(wp[1], xo, a1);
                            a3 = mote_s4_mlatt(wp[1], xo, a3);
                        }
                    }
                    const int32_t acc[4] = {a0, a1, a2, a3};
                    for (int j = 0; j < 4; j++) {
                        const int32_t ch = g + j;
                        int32_t v = acc[j] + (bias ? bias[ch] : 0);
                        v = mote_add_sat(mote_mul_qm(v, q_mult[ch], q_shift[ch]), d->output_offset);
                        y[(((size_t)b * oh + oy) * ow + ox) * c + ch] = (int8_t)mote_clamp_i32(v, d->act_min, d->act_max);
                    }
                }
            }
        }
    }
}
