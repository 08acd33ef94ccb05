/* DEPTHWISE_CONV_2D, int8 activations with binary weights, optimized (depth
 * multiplier 1, up to 256 taps): four channels at a time, one input word per
 * tap (s1_simd.h: u = x + 128, outside the image zp + 128, a zero term); the
 * weight bits of the 4 channels pick a table mask, and the masked bytes and
 * all bytes go into 16-bit lanes (UXTAB16), so per tap and 4 channels one
 * load, one EOR, one mask, one AND and 4 UXTAB16: no multiplies. Then
 * acc = bias' + 2 S_set - S_all per channel and the fast exact output stage
 * (mote_requant_s8) when the accumulator bounds allow, else the reference's.
 * Channels past the last multiple of 4 take the same sums one at a time.
 * Scratch: the window's input offsets of the current pixel (4 bytes a tap).
 *
 * Parameter block: mote_conv_data, multipliers, shifts, then (16-aligned)
 * s1_dw_hdr, one mote_s1_chan per channel (bias' = bias + (off - 128)(2 n_set
 * - taps), output stage), then per tap the channels' bits (channel c: bit
 * c % 8 of byte c / 8). */
#include <string.h>

#include "conv_common.h"
#include "mote/quant.h"
#include "s1_simd.h"

typedef struct {
    int32_t kh, kw, row, fast; /* row: bytes of bits per tap */
} s1_dw_hdr;

static size_t hdr_offset(int32_t channels)
{
    return (mote_conv_data_bytes(channels) + 15u) & ~(size_t)15u;
}

mote_status mote_depthwise_s8_s1_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_conv_data *d = n->data;
    const int32_t oc = d->channels, taps = ft->dims[1] * ft->dims[2], row = (oc + 7) / 8;
    if (d->depth_mult != 1 || taps > 256 || !mote_s1_little_endian()) return MOTE_OK;
    if (!mote_const_bytes(ft) || (bt && !mote_const_bytes(bt))) return MOTE_OK;
    const int64_t c = (int64_t)d->input_offset - 128;
    for (int32_t o = 0; o < oc; o++) { /* bias' must fit int32 */
        const int64_t b = bt ? ((const int32_t *)bt->data)[o] : 0, r = (c < 0 ? -c : c) * taps;
        if (b + r > INT32_MAX || b - r < INT32_MIN) return MOTE_OK;
    }
    const size_t at = hdr_offset(oc);
    uint8_t *blk = mote_node_data_grow(ctx, n, at + sizeof(s1_dw_hdr) + sizeof(mote_s1_chan) * (size_t)oc +
                                                   (size_t)taps * (size_t)row);
    if (!blk) return MOTE_ERR_ARENA;
    s1_dw_hdr *h = (s1_dw_hdr *)(void *)(blk + at);
    h->kh = ft->dims[1];
    h->kw = ft->dims[2];
    h->row = row;
    h->fast = mote_s1_fast_ok(bt ? (const int32_t *)bt->data : NULL, mote_conv_shift(n->data), oc, taps);
    mote_s1_chan *cs = (mote_s1_chan *)(void *)(h + 1);
    uint8_t *bits = (uint8_t *)(cs + oc);
    d = n->data; /* the block moved */
    memset(bits, 0, (size_t)taps * (size_t)row);
    for (int32_t o = 0; o < oc; o++) {
        int32_t set = 0;
        for (int32_t i = 0; i < taps; i++)
            if (mote_s1_at(ft->data, (size_t)i * (size_t)oc + (size_t)o) > 0) {
                bits[(size_t)i * (size_t)row + (size_t)(o >> 3)] |= (uint8_t)(1u << (o & 7));
                set++;
            }
        const int64_t b = bt ? ((const int32_t *)bt->data)[o] : 0;
        cs[o] = mote_s1_chan_make(b + c * (2 * (int64_t)set - taps), mote_conv_mult(d)[o], mote_conv_shift(d)[o]);
    }
    n->scratch_bytes = 4u * (size_t)taps; /* the window's input offsets */
    n->eval = mote_depthwise_s8_s1_opt_eval;
    return MOTE_OK;
}


void mote_depthwise_s8_s1_opt_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const s1_dw_hdr *h = (const s1_dw_hdr *)(const void *)((const uint8_t *)d + hdr_offset(d->channels));
    const mote_s1_chan *cs = (const mote_s1_chan *)(const void *)(h + 1);
    const uint8_t *bits = (const uint8_t *)(cs + d->channels);
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    const int8_t *x = in->data;
    int8_t *y = out->data;
    const int32_t ih = in->dims[1], iw = in->dims[2], c = d->channels, kh = h->kh, kw = h->kw, row = h->row;
    const int32_t taps = kh * kw, oh = out->dims[1], ow = out->dims[2];
    const int32_t sh = n->opts.stride_h, sw = n->opts.stride_w, dh = n->opts.dilation_h, dw = n->opts.dilation_w;
    const uint32_t zu = (uint32_t)(uint8_t)(-d->input_offset + 128); /* u of an input outside the image */
    const uint32_t fill = zu * 0x01010101u;
    const mote_s1_stage st = {h->fast, d->output_offset, d->act_min, d->act_max, mote_conv_mult(d), mote_conv_shift(d)};
    int32_t *off = n->scratch; /* per tap: the pixel's offset in the batch, -1 outside the image */

    for (int32_t b = 0; b < in->dims[0]; b++) {
        const int8_t *xb = x + (size_t)b * (size_t)ih * (size_t)iw * (size_t)c;
        for (int32_t oy = 0; oy < oh; oy++)
            for (int32_t ox = 0; ox < ow; ox++, y += c) {
                int inside = 1; /* every tap in the image: the loop below needs no test */
                for (int32_t fy = 0, i = 0; fy < kh; fy++) {
                    const int32_t iy = oy * sh - d->pad_h + dh * fy;
                    for (int32_t fx = 0; fx < kw; fx++, i++) {
                        const int32_t ix = ox * sw - d->pad_w + dw * fx;
                        off[i] = iy >= 0 && iy < ih && ix >= 0 && ix < iw ? (iy * iw + ix) * c : -1;
                        inside &= off[i] >= 0;
                    }
                }
                int32_t ch = 0;
                for (; ch + 4 <= c; ch += 4) {
                    uint32_t se = 0, so = 0, ae = 0, ao = 0;
                    const uint8_t *bp = bits + (ch >> 3);
                    const uint32_t shift = (uint32_t)(ch & 4);
                    const int8_t *xc = xb + ch;
                    if (inside) {
                        for (int32_t i = 0; i < taps; i++, bp += row) {
                            const uint32_t v = mote_load_u32(xc + off[i]) ^ 0x80808080u;
                            mote_s1_lanes(v & mote_s1_mask((uint32_t)*bp >> shift), &se, &so);
                            mote_s1_lanes(v, &ae, &ao);
                        }
                    } else {
                        for (int32_t i = 0; i < taps; i++, bp += row) {
                            const uint32_t v = off[i] >= 0 ? mote_load_u32(xc + off[i]) ^ 0x80808080u : fill;
                            mote_s1_lanes(v & mote_s1_mask((uint32_t)*bp >> shift), &se, &so);
                            mote_s1_lanes(v, &ae, &ao);
                        }
                    }
                    y[ch] = mote_s1_out(2u * (se & 0xFFFFu) - (ae & 0xFFFFu), &cs[ch], st, ch);
                    y[ch + 1] = mote_s1_out(2u * (so & 0xFFFFu) - (ao & 0xFFFFu), &cs[ch + 1], st, ch + 1);
                    y[ch + 2] = mote_s1_out(2u * (se >> 16) - (ae >> 16), &cs[ch + 2], st, ch + 2);
                    y[ch + 3] = mote_s1_out(2u * (so >> 16) - (ao >> 16), &cs[ch + 3], st, ch + 3);
                }
                for (; ch < c; ch++) { /* the same sums, one channel */
                    uint32_t s = 0, a = 0;
                    const uint8_t *bp = bits + (ch >> 3);
                    for (int32_t i = 0; i < taps; i++, bp += row) {
                        const uint32_t v = off[i] >= 0 ? (uint32_t)(uint8_t)xb[off[i] + ch] ^ 0x80u : zu;
                        a += v;
                        s += (0u - ((*bp >> (ch & 7)) & 1u)) & v;
                    }
                    y[ch] = mote_s1_out(2u * s - a, &cs[ch], st, ch);
                }
            }
    }
}
