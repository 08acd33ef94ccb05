/* CONV_2D, int8 activations with int4 weights, optimized (one group, any
 * filter, stride, dilation, padding): conv_s8_im2col's scheme with the
 * weights kept at 4 bits in the parameter block (s4_simd.h): two output
 * pixels x two output channels per step; per 4 inputs one LDM of the
 * pixels' 4 words, one weight word, 4 ANDs and 8 SMLAD for 16 MACs (no sign
 * extension of weights: int8's loop needs 4 SXTB16 and 2 weight words).
 *
 * Parameter block: mote_conv_data, multipliers, shifts, then (16-aligned)
 * mote_gemm_s8_pack, one mote_gemm_s8_pair per channel pair (bias' = bias
 * - zp sum w, output stage), then per channel pair its kp / 4 slice words
 * (kp: k padded to a multiple of 8). Scratch: the two pixels' inputs as lane pairs
 * (4 * kp bytes; slice s: pixel 0's 2 words, then pixel 1's), the 4 dot
 * products of each channel pair (16 bytes a pair), then one gathered window
 * row (kp bytes) unless the filter is 1x1. */
#include <string.h>

#include "gemm_s8.h"
#include "s4_simd.h"

/* As conv_s8_opt.c's chan_fit: the kernel's accumulator is bias' + sum w x
 * over raw int8 x, within |bias| + 256 sum|w|. */
static int chan_fit(const mote_conv_data *d, const mote_tensor *bias, const uint8_t *w, int32_t c, int64_t k,
                    int32_t zp, mote_requant_chan *f)
{
    int64_t lo, hi, sabs;
    mote_s4_dot_range(w, (size_t)c * (size_t)k, 1, k, zp, &lo, &hi, &sabs);
    const int64_t b = bias ? ((const int32_t *)bias->data)[c] : 0;
    if (!mote_requant_fit(b, mote_conv_mult(d)[c], mote_conv_shift(d)[c], lo, hi, 256 * sabs, (int64_t)1 << 30, 0,
                          d->output_offset, d->act_min, d->act_max, f))
        return 0;
    return mote_requant_fast_ok(&f->shift, 1, (f->bias < 0 ? -(int64_t)f->bias : f->bias) + 256 * sabs);
}

mote_status mote_conv_s8_s4_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *ft = mote_in(n, t, 1), *bt = mote_in(n, t, 2);
    const mote_conv_data *d = n->data;
    const int32_t oc = ft->dims[0], kh = ft->dims[1], kw = ft->dims[2], ic = ft->dims[3];
    const int32_t zp = in->q.zero_point[0];
    if (ic != in->dims[3] || zp < -128 || zp > 127) return MOTE_OK; /* groups: reference */
    const int64_t k = (int64_t)kh * kw * ic;
    /* k <= 2^18 keeps bias' - 8 sum x + sum (w + 8) x inside int32 */
    if (k < 1 || k > (1 << 18) || !mote_const_bytes(ft) || (bt && !mote_const_bytes(bt))) return MOTE_OK;
    for (int32_t c = 0; c < oc; c++) {
        mote_requant_chan f;
        if (!chan_fit(d, bt, ft->data, c, k, zp, &f)) return MOTE_OK;
    }
    const int32_t kp = (int32_t)((k + 7) & ~(int64_t)7), pairs = (oc + 1) / 2, slices = kp / 4;
    const int one = kh == 1 && kw == 1;
    const size_t at = mote_gemm_s8_pack_offset(oc);
    const size_t bytes = sizeof(mote_gemm_s8_pack) + sizeof(mote_gemm_s8_pair) * (size_t)pairs +
                         (size_t)pairs * (size_t)slices * 4u;
    uint8_t *blk = mote_node_data_grow(ctx, n, at + bytes);
    if (!blk) return MOTE_ERR_ARENA;
    mote_gemm_s8_pack *g = (mote_gemm_s8_pack *)(void *)(blk + at);
    g->k = (int32_t)k;
    g->kp = kp;
    g->pairs = pairs;
    g->pad_x = zp;
    mote_gemm_s8_pair *pr = (mote_gemm_s8_pair *)(void *)(g + 1);
    uint32_t *w = (uint32_t *)(void *)(pr + pairs);
    const uint8_t *src = ft->data;
    d = (const mote_conv_data *)(const void *)blk; /* the block moved */
    for (int32_t c = 0; c < 2 * pairs; c++) {
        mote_gemm_s8_pair *r = &pr[c / 2];
        if (c >= oc) { /* the odd last channel's partner: weights 0, output dropped */
            r->bias[1] = 0, r->mult[1] = 0, r->round[1] = 1, r->rshift[1] = 1;
            continue;
        }
        int64_t sum = 0;
        for (int64_t j = 0; j < k; j++) sum += mote_s4_at(src, (size_t)c * (size_t)k + (size_t)j);
        mote_requant_chan f = {0, 0, 0};
        (void)chan_fit(d, bt, src, c, k, zp, &f); /* accepted above */
        r->bias[c % 2] = (int32_t)(f.bias - (int64_t)zp * sum);
        r->mult[c % 2] = f.mult;
        r->round[c % 2] = mote_requant_round(f.shift);
        r->rshift[c % 2] = mote_requant_rshift(f.shift);
    }
    for (int32_t p = 0; p < pairs; p++) {
        const int64_t b = 2 * p + 1 < oc ? (int64_t)(2 * p + 1) * k : -1;
        for (int32_t o = 0; o < slices; o++)
            w[(size_t)p * (size_t)slices + (size_t)o] = mote_s4_pack_word(src, (size_t)(2 * p) * (size_t)k, b, k, o);
    }
    n->scratch_bytes = 4u * (size_t)kp + 16u * (size_t)pairs + (one ? 0 : (size_t)kp);
    n->eval = mote_conv_s8_s4_opt_eval;
    return MOTE_OK;
}

#if MOTE_DSP && defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__)
#define S4_ASM 1
#else
#define S4_ASM 0
#endif

/* acc[4p..4p+3] = (ch a, px 0), (ch a, px 1), (ch b, px 0), (ch b, px 1)
 * of channel pair p: bias' - 8 sum x + sum (w + 8) x over `slices` slices (an
 * even count) of its words and the two pixels' lane pairs xs (the offset
 * weights add 8 sum x to every dot product: e[px] = 8 sum x). All pairs in
 * one call, not inlined: inside the output loop GCC runs out of registers
 * for the asm. */
#if S4_ASM
/* -Og keeps too many values in registers around the asm: -O2 here */
__attribute__((noinline, optimize("O2")))
#endif
static void s4_dots(const uint32_t *xs0, const uint32_t *w, int32_t slices, const mote_gemm_s8_pair *pr,
                    int32_t pairs, const int32_t e[2], int32_t *dots)
{
    const uint32_t *end = xs0 + 4 * slices;
#if S4_ASM && defined(__OPTIMIZE_SIZE__)
    /* -Os keeps pr and e in registers around the asm: the start values first */
    for (int32_t p = 0; p < pairs; p++) {
        dots[4 * p] = pr[p].bias[0] - e[0];
        dots[4 * p + 1] = pr[p].bias[0] - e[1];
        dots[4 * p + 2] = pr[p].bias[1] - e[0];
        dots[4 * p + 3] = pr[p].bias[1] - e[1];
    }
#define S4_START(i, b, px) dots[i]
#else
#define S4_START(i, b, px) (pr->bias[b] - e[px])
#endif
    for (int32_t p = 0; p < pairs; p++, dots += 4, pr++) {
        const uint32_t *xs = xs0;
        int32_t a00 = S4_START(0, 0, 0), a01 = S4_START(1, 0, 1), a10 = S4_START(2, 1, 0), a11 = S4_START(3, 1, 1);
#undef S4_START
#if S4_ASM
        /* The C below by hand: GCC masks with an immediate after a separate
         * shift (2 instructions where 1 does) and loads the scratch words one
         * by one. Two slices per iteration, 31 instructions for 32 MACs (int8's
         * loop: 32); the loop ends on the scratch pointer, its end read from
         * memory, so that it needs 13 registers as conv_s8_im2col's does. */
#define MOTE_S4_SLICE                                                                                          \
    "ldm %[x]!, {r4, r5, r6, r8}\n\t"                                                                         \
    "ldr r9, [%[w]], #4\n\t"                                                                                  \
    "and r10, %[m], r9\n\t"                                                                                   \
    "smlad %[a00], r10, r4, %[a00]\n\t"                                                                       \
    "smlad %[a01], r10, r6, %[a01]\n\t"                                                                       \
    "and r10, %[m], r9, lsr #4\n\t"                                                                           \
    "smlad %[a00], r10, r5, %[a00]\n\t"                                                                       \
    "smlad %[a01], r10, r8, %[a01]\n\t"                                                                       \
    "and r10, %[m], r9, lsr #8\n\t"                                                                           \
    "smlad %[a10], r10, r4, %[a10]\n\t"                                                                       \
    "smlad %[a11], r10, r6, %[a11]\n\t"                                                                       \
    "and r10, %[m], r9, lsr #12\n\t"                                                                          \
    "smlad %[a10], r10, r5, %[a10]\n\t"                                                                       \
    "smlad %[a11], r10, r8, %[a11]\n\t"
        __asm__ volatile("1:\n\t" MOTE_S4_SLICE MOTE_S4_SLICE
                         "ldr r9, %[end]\n\t"
                         "cmp %[x], r9\n\t"
                         "bne 1b\n\t"
                         : [x] "+r"(xs), [w] "+r"(w), [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10),
                           [a11] "+r"(a11)
                         : [m] "r"(MOTE_S4_MASK), [end] "m"(end)
                         : "r4", "r5", "r6", "r8", "r9", "r10", "cc", "memory");
#undef MOTE_S4_SLICE
#else
        const uint32_t m = MOTE_S4_MASK;
        for (; xs != end; w++, xs += 4) {
            const uint32_t v = *w, p0 = v & m, p1 = (v >> 4) & m, p2 = (v >> 8) & m, p3 = (v >> 12) & m;
            a00 = mote_s4_smlad(p0, xs[0], a00);
            a00 = mote_s4_smlad(p1, xs[1], a00);
            a01 = mote_s4_smlad(p0, xs[2], a01);
            a01 = mote_s4_smlad(p1, xs[3], a01);
            a10 = mote_s4_smlad(p2, xs[0], a10);
            a10 = mote_s4_smlad(p3, xs[1], a10);
            a11 = mote_s4_smlad(p2, xs[2], a11);
            a11 = mote_s4_smlad(p3, xs[3], a11);
        }
#endif
        dots[0] = a00;
        dots[1] = a01;
        dots[2] = a10;
        dots[3] = a11;
    }
}

MOTE_GEMM_INLINE void s4_pixels_as(const mote_conv_data *d, const uint32_t *xs, const int32_t sx[2], int32_t *dots,
                                   int8_t *out0, int8_t *out1, const int full)
{
    const mote_gemm_s8_pack *g = mote_gemm_s8_pack_of(d);
    const mote_gemm_s8_pair *pr = mote_gemm_s8_pairs(g);
    const int32_t oc = d->channels, off = d->output_offset, lo = d->act_min, hi = d->act_max;
    const int32_t e[2] = {8 * sx[0], 8 * sx[1]};
    s4_dots(xs, (const uint32_t *)(const void *)(pr + g->pairs), g->kp >> 2, pr, g->pairs, e, dots);
    for (int32_t c = 0; c < oc; c += 2, dots += 4, pr++) {
        out0[c] = mote_gemm_s8_out(dots[0], pr, 0, off, full, lo, hi);
        if (out1) out1[c] = mote_gemm_s8_out(dots[1], pr, 0, off, full, lo, hi);
        if (c + 1 < oc) {
            out0[c + 1] = mote_gemm_s8_out(dots[2], pr, 1, off, full, lo, hi);
            if (out1) out1[c + 1] = mote_gemm_s8_out(dots[3], pr, 1, off, full, lo, hi);
        }
    }
}

void mote_conv_s8_s4_opt_eval(const mote_node *n, const mote_tensor *t)
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
    const int one = kh == 1 && kw == 1;
    const int full = d->act_min <= -128 && d->act_max >= 127;
    uint32_t *xs = n->scratch;
    int32_t *dots = (int32_t *)(xs + g->kp);
    int8_t *row = (int8_t *)(dots + 4 * g->pairs);
    for (int32_t p = 0; p < total; p += 2) {
        int32_t sx[2];
        /* both pixels are read into the scratch before either is written */
        for (int slot = 0; slot < 2; slot++) {
            int32_t q = p + slot < total ? p + slot : p;
            int32_t b = q / per_image, r = q - b * per_image, oy = r / ow, ox = r - oy * ow;
            int32_t y0 = oy * sh - d->pad_h, x0 = ox * sw - d->pad_w;
            const int8_t *src = row;
            if (one) {
                /* a 1x1 window never pads */
                src = x + (((size_t)b * ih + (size_t)y0) * iw + (size_t)x0) * ic;
            } else {
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
            }
            sx[slot] = mote_s4_expand(xs + 2 * slot, 4, src, g->k, g->kp);
        }
        int8_t *o0 = y + (size_t)p * oc, *o1 = p + 1 < total ? o0 + oc : NULL;
        if (full)
            s4_pixels_as(d, xs, sx, dots, o0, o1, 1);
        else
            s4_pixels_as(d, xs, sx, dots, o0, o1, 0);
    }
}
