/* CONV_2D int8, any filter, stride, dilation and padding (one group): each
 * output pixel's window is gathered into a row (padding taps read the input
 * zero point, which the folded bias cancels; a window row inside the input
 * is one copy), two rows at a time, then
 * multiplied by the packed weights like a 1x1 convolution (gemm_s8.h).
 * Scratch: the gemm slots (4 * kp bytes), then one gathered row (kp bytes). */
#include <string.h>

#include "gemm_s8.h"

void mote_conv_s8_im2col_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const mote_gemm_s8_pack *g = mote_gemm_s8_pack_of(d);
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *out = mote_out(n, t, 0);
    const int8_t *x = in->data;
    int8_t *y = out->data;
    const int32_t ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = ft->dims[1], kw = ft->dims[2];
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t sh = n->opts.stride_h, sw = n->opts.stride_w;
    const int32_t dh = n->opts.dilation_h, dw = n->opts.dilation_w;
    const int32_t per_image = oh * ow, total = in->dims[0] * per_image;
    uint32_t *xs = n->scratch;
    int8_t *row = (int8_t *)(xs + g->kp);
    for (int32_t p = 0; p < total; p += 2) {
        for (int slot = 0; slot < 2; slot++) {
            int32_t q = p + slot < total ? p + slot : p;
            int32_t b = q / per_image, r = q - b * per_image, oy = r / ow, ox = r - oy * ow;
            int32_t y0 = oy * sh - d->pad_h, x0 = ox * sw - d->pad_w;
            int8_t *dst = row;
            for (int32_t fy = 0; fy < kh; fy++) {
                int32_t iy = y0 + fy * dh;
                /* a window row all padding, or all inside: one fill or one copy */
                if (iy < 0 || iy >= ih) {
                    memset(dst, (int8_t)g->pad_x, (size_t)(kw * ic));
                    dst += kw * ic;
                    continue;
                }
                if (dw == 1 && x0 >= 0 && x0 + kw <= iw) {
                    memcpy(dst, x + (((size_t)b * ih + iy) * iw + x0) * ic, (size_t)(kw * ic));
                    dst += kw * ic;
                    continue;
                }
                for (int32_t fx = 0; fx < kw; fx++, dst += ic) {
                    int32_t ix = x0 + fx * dw;
                    if (iy < 0 || iy >= ih || ix < 0 || ix >= iw)
                        memset(dst, (int8_t)g->pad_x, (size_t)ic);
                    else
                        memcpy(dst, x + (((size_t)b * ih + iy) * iw + ix) * ic, (size_t)ic);
                }
            }
            mote_gemm_s8_load(xs, slot, row, g->k, g->kp);
        }
        int8_t *o0 = y + (size_t)p * oc;
        mote_gemm_s8_pixels(d, xs, o0, p + 1 < total ? o0 + oc : NULL);
    }
}
