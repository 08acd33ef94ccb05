/* DEPTHWISE_CONV_2D, int8 activations with binary weights (reference):
 * depthwise_s8's arithmetic with each weight +-1 read from its bit (s1.h). */
#include "conv_common.h"
#include "mote/quant.h"
#include "s1.h"

void mote_depthwise_s8_s1_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const int32_t *q_mult = mote_conv_mult(d), *q_shift = mote_conv_shift(d);
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_tensor *out = mote_out(n, t, 0);
    const int8_t *x = in->data;
    const uint8_t *w = ft->data;
    const int32_t *bias = bt ? (const int32_t *)bt->data : NULL;
    int8_t *y = out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = ft->dims[1], kw = ft->dims[2];
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t mult = d->depth_mult;
    const int32_t sh = n->opts.stride_h, sw = n->opts.stride_w;
    const int32_t dh = n->opts.dilation_h, dw = n->opts.dilation_w;

    for (int32_t b = 0; b < batches; b++) {
        for (int32_t oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * sh - d->pad_h;
            for (int32_t ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * sw - d->pad_w;
                for (int32_t c = 0; c < oc; c++) {
                    const int32_t ch = c / mult;
                    int32_t acc = 0;
                    for (int32_t fy = 0; fy < kh; fy++) {
                        const int32_t iy = y0 + dh * fy;
                        if (iy < 0 || iy >= ih) continue;
                        for (int32_t fx = 0; fx < kw; fx++) {
                            const int32_t ix = x0 + dw * fx;
                            if (ix < 0 || ix >= iw) continue;
                            int32_t xv = x[(((size_t)b * ih + iy) * iw + ix) * ic + ch];
                            int32_t wv = mote_s1_at(w, ((size_t)fy * kw + fx) * oc + c);
                            acc += wv * (xv + d->input_offset);
                        }
                    }
                    if (bias) acc += bias[c];
                    acc = mote_add_sat(mote_mul_qm(acc, q_mult[c], q_shift[c]), d->output_offset);
                    *y++ = (int8_t)mote_clamp_i32(acc, d->act_min, d->act_max);
                }
            }
        }
    }
}
