/* CONV_2D, int8 activations with sparse int8 filters (MOTE_I8_SPARSE,
 * mote/sparse.h; rows = output channels, depth = kh * kw * in): the window
 * of each output pixel is gathered into scratch in the filter's [kh][kw][in]
 * order (taps in the padding as the input zero point, so they add 0, as the
 * reference skips them; a 1x1 window inside the input is read in place),
 * then every output channel walks its entries over it as fc_s8_sparse walks
 * an input row. Bit-exact with conv_s8 on the same filter stored dense
 * (tests/unit/kernels_sparse.c). No groups. Scratch: kh * kw * in bytes. */
#include "conv_common.h"
#include "mote/quant.h"
#include "mote/sparse.h"

/* The window at (y0, x0) of batch image img into patch; returns where it lies. */
static const int8_t *gather(const int8_t *img, int32_t ih, int32_t iw, int32_t ic, int32_t kh, int32_t kw, int32_t y0,
                            int32_t x0, int32_t dh, int32_t dw, int8_t pad, int8_t *patch)
{
    if (kh == 1 && kw == 1 && y0 >= 0 && y0 < ih && x0 >= 0 && x0 < iw)
        return img + ((size_t)y0 * (size_t)iw + (size_t)x0) * (size_t)ic;
    int8_t *p = patch;
    for (int32_t fy = 0; fy < kh; fy++) {
        const int32_t iy = y0 + dh * fy;
        for (int32_t fx = 0; fx < kw; fx++, p += ic) {
            const int32_t ix = x0 + dw * fx;
            if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) {
                for (int32_t k = 0; k < ic; k++) p[k] = pad;
            } else {
                const int8_t *src = img + ((size_t)iy * (size_t)iw + (size_t)ix) * (size_t)ic;
                for (int32_t k = 0; k < ic; k++) p[k] = src[k];
            }
        }
    }
    return patch;
}

void mote_conv_s8_sparse_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const int32_t *mult = mote_conv_mult(d), *shift = mote_conv_shift(d);
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_tensor *out = mote_out(n, t, 0);
    const uint8_t *w = ft->data;
    const int32_t *bias = bt ? (const int32_t *)bt->data : NULL;
    int8_t *y = out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = ft->dims[1], kw = ft->dims[2];
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int8_t pad = (int8_t)(-d->input_offset); /* the input zero point: x + input_offset = 0 */
    for (int32_t b = 0; b < batches; b++) {
        const int8_t *img = (const int8_t *)in->data + (size_t)b * (size_t)ih * (size_t)iw * (size_t)ic;
        for (int32_t oy = 0; oy < oh; oy++) {
            for (int32_t ox = 0; ox < ow; ox++) {
                const int8_t *patch = gather(img, ih, iw, ic, kh, kw, oy * n->opts.stride_h - d->pad_h,
                                             ox * n->opts.stride_w - d->pad_w, n->opts.dilation_h,
                                             n->opts.dilation_w, pad, n->scratch);
                const uint8_t *e = w + 2 * (size_t)oc;
                for (int32_t c = 0; c < oc; c++) {
                    const int8_t *xp = patch;
                    uint32_t acc = 0; /* wraps as the reference's int32 sum would */
                    for (uint32_t k = mote_sparse_count(w, c); k > 0; k--, e += 2) {
                        xp += e[0];
                        acc += (uint32_t)((int32_t)(int8_t)e[1] * ((int32_t)*xp++ + d->input_offset));
                    }
                    if (bias) acc += (uint32_t)bias[c];
                    int32_t v = mote_add_sat(mote_mul_qm((int32_t)acc, mult[c], shift[c]), d->output_offset);
                    *y++ = (int8_t)mote_clamp_i32(v, d->act_min, d->act_max);
                }
            }
        }
    }
}
