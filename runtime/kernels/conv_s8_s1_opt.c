/* CONV_2D, int8 activations with binary weights, optimized (one group, any
 * filter, stride, dilation, padding): per output pixel the window is
 * gathered into u bytes (s1_simd.h; outside the image u = zp + 128, whose
 * term is 0), then two output channels at a time: per 4 inputs one input
 * word, and per channel one table mask, one AND, one USADA8. No multiplies;
 * the output stage is the fast exact one (mote_requant_s8) when every
 * channel's accumulator bound allows it, else the reference's.
 *
 * Parameter block: mote_conv_data, multipliers, shifts, then (16-aligned)
 * s1_conv_hdr, one mote_s1_chan per channel (bias' = bias + (off - 128)(2 n_set
 * - k), output stage), then per channel its bit words (k = kh kw ic padded
 * to 32). Scratch: the window's u row (kp bytes). */
#include <string.h>

#include "conv_common.h"
#include "mote/quant.h"
#include "s1_simd.h"

typedef struct {
    int32_t k, words, kh, kw, fast; /* the filter's data is not kept: its shape is here */
} s1_conv_hdr;

static size_t hdr_offset(int32_t channels)
{
    return (mote_conv_data_bytes(channels) + 15u) & ~(size_t)15u;
}

mote_status mote_conv_s8_s1_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_conv_data *d = n->data;
    const int32_t oc = ft->dims[0], ic = ft->dims[3];
    const int64_t k64 = (int64_t)ft->dims[1] * ft->dims[2] * ic;
    if (ic != in->dims[3] || k64 > (1 << 22) || !mote_s1_little_endian()) return MOTE_OK; /* groups: reference */
    if (!mote_const_bytes(ft) || (bt && !mote_const_bytes(bt))) return MOTE_OK;
    const int32_t k = (int32_t)k64, words = (k + 31) / 32;
    const int64_t c = (int64_t)d->input_offset - 128;
    for (int32_t o = 0; o < oc; o++) { /* bias' must fit int32 (n_set anywhere in 0..k) */
        const int64_t b = bt ? ((const int32_t *)bt->data)[o] : 0, r = (c < 0 ? -c : c) * k;
        if (b + r > INT32_MAX || b - r < INT32_MIN) return MOTE_OK;
    }
    const size_t at = hdr_offset(oc);
    const size_t chan_bytes = sizeof(mote_s1_chan) + 4u * (size_t)words; /* record and bit words */
    uint8_t *blk = mote_node_data_grow(ctx, n, at + sizeof(s1_conv_hdr) + chan_bytes * (size_t)oc);
    if (!blk) return MOTE_ERR_ARENA;
    s1_conv_hdr *h = (s1_conv_hdr *)(void *)(blk + at);
    h->k = k;
    h->words = words;
    h->kh = ft->dims[1];
    h->kw = ft->dims[2];
    h->fast = mote_s1_fast_ok(bt ? (const int32_t *)bt->data : NULL, mote_conv_shift(n->data), oc, k);
    mote_s1_chan *ch = (mote_s1_chan *)(void *)(h + 1);
    uint32_t *w = (uint32_t *)(void *)(ch + oc);
    d = n->data; /* the block moved */
    for (int32_t o = 0; o < oc; o++) {
        const int32_t set = mote_s1_pack_row(w + (size_t)o * (size_t)words, ft->data, (size_t)o * (size_t)k, k);
        const int64_t b = bt ? ((const int32_t *)bt->data)[o] : 0;
        ch[o] = mote_s1_chan_make(b + c * (2 * (int64_t)set - k), mote_conv_mult(d)[o], mote_conv_shift(d)[o]);
    }
    n->scratch_bytes = 32u * (size_t)words;
    n->eval = mote_conv_s8_s1_opt_eval;
    return MOTE_OK;
}


void mote_conv_s8_s1_opt_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const s1_conv_hdr *h = (const s1_conv_hdr *)(const void *)((const uint8_t *)d + hdr_offset(d->channels));
    const mote_s1_chan *ch = (const mote_s1_chan *)(const void *)(h + 1);
    const uint32_t *w = (const uint32_t *)(const void *)(ch + d->channels);
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    const int8_t *x = in->data;
    int8_t *y = out->data;
    const int32_t ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = h->kh, kw = h->kw, oc = d->channels, words = h->words, kp = 32 * words;
    const int32_t oh = out->dims[1], ow = out->dims[2];
    const int32_t sh = n->opts.stride_h, sw = n->opts.stride_w, dh = n->opts.dilation_h, dw = n->opts.dilation_w;
    const int zp = -d->input_offset;
    const mote_s1_stage st = {h->fast, d->output_offset, d->act_min, d->act_max, mote_conv_mult(d), mote_conv_shift(d)};
    uint32_t *u = n->scratch;
    uint8_t *row = (uint8_t *)u;

    for (int32_t b = 0; b < in->dims[0]; b++)
        for (int32_t oy = 0; oy < oh; oy++)
            for (int32_t ox = 0; ox < ow; ox++) {
                uint8_t *r = row;
                for (int32_t fy = 0; fy < kh; fy++) {
                    const int32_t iy = oy * sh - d->pad_h + dh * fy;
                    for (int32_t fx = 0; fx < kw; fx++, r += ic) {
                        const int32_t ix = ox * sw - d->pad_w + dw * fx;
                        if (iy < 0 || iy >= ih || ix < 0 || ix >= iw)
                            memset(r, (uint8_t)zp, (size_t)ic); /* x = zp: a zero term */
                        else
                            memcpy(r, x + (((size_t)b * ih + iy) * iw + ix) * ic, (size_t)ic);
                    }
                }
                memset(r, 0x80, (size_t)(kp - h->k)); /* u = 0 past the window */
                const uint32_t all = mote_s1_to_u(u, kp);
                int32_t c = 0;
                for (; c + 2 <= oc; c += 2) {
                    uint32_t sa, sb;
                    const uint32_t *wc = w + (size_t)c * (size_t)words;
                    mote_s1_dot2(u, wc, wc + words, words, &sa, &sb);
                    y[c] = mote_s1_out(2u * sa - all, &ch[c], st, c);
                    y[c + 1] = mote_s1_out(2u * sb - all, &ch[c + 1], st, c + 1);
                }
                if (c < oc) {
                    const uint32_t s = mote_s1_dot(u, w + (size_t)c * (size_t)words, words);
                    y[c] = mote_s1_out(2u * s - all, &ch[c], st, c);
                }
                y += oc;
            }
}
