/* CONV_2D int8, 1x1 filter (any stride, no padding: a 1x1 window never
 * pads): a matrix multiply of the pixels' channel vectors by the packed
 * weights, two pixels by two output channels at a time (gemm_s8.h). */
#include "gemm_s8.h"

void mote_conv_s8_1x1_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const mote_gemm_s8_pack *g = mote_gemm_s8_pack_of(d);
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    const int8_t *x = in->data;
    int8_t *y = out->data;
    const int32_t ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t sh = n->opts.stride_h, sw = n->opts.stride_w;
    const int32_t per_image = oh * ow, total = in->dims[0] * per_image;
    uint32_t *xs = n->scratch;
    /* both pixels are read into the scratch before either is written */
    for (int32_t p = 0; p < total; p += 2) {
        for (int slot = 0; slot < 2; slot++) {
            int32_t q = p + slot < total ? p + slot : p;
            int32_t b = q / per_image, r = q - b * per_image, oy = r / ow, ox = r - oy * ow;
            const int8_t *src = x + (((size_t)b * ih + (size_t)oy * sh) * iw + (size_t)ox * sw) * ic;
            mote_gemm_s8_load(xs, slot, src, g->k, g->kp);
        }
        int8_t *y0 = y + (size_t)p * oc;
        mote_gemm_s8_pixels(d, xs, y0, p + 1 < total ? y0 + oc : NULL);
    }
}
