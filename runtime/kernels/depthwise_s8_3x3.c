/* DEPTHWISE_CONV_2D int8, 3x3, stride 1 or 2, depth multiplier 1: the
 * optimized variant chosen by depthwise_s8_opt.c (layout in
 * depthwise_s8_3x3.h). Bit-exact with depthwise_s8.c.
 *
 * Each input row is widened once into a ring of int16 channel rows (padding
 * cells hold the input zero point, folded into the bias), so the output
 * loops need no border checks and one word load gives the taps (x, x+1) of a
 * channel: per filter row, two outputs take 2 SMLAD and 2 SMLAxy. Input rows
 * are read only before the first output of the row that needs them, output
 * pixels go in raster order by pairs, a pair channel by channel: the
 * planner's in-place rule holds with the table's block 2. */
#include "depthwise_s8_3x3.h"
#include "simd_s8.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
static inline int32_t dw3_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlabt((int32_t)a, (int32_t)b, acc);
}
static inline int32_t dw3_smlatb(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlatb((int32_t)a, (int32_t)b, acc);
}
/* k + round(a * b / 2^32): SMMLAR */
static inline int32_t dw3_mmlar(int32_t a, int32_t b, int32_t k)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(k));
    return r;
}
static inline int32_t dw3_sat8(int32_t v)
{
    return __ssat(v, 8);
}
#else
static inline int32_t dw3_lo(uint32_t a)
{
    return (int32_t)(int16_t)(a & 0xFFFFu);
}
static inline int32_t dw3_hi(uint32_t a)
{
    return (int32_t)(int16_t)(a >> 16);
}
static inline int32_t dw3_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return acc + dw3_lo(a) * dw3_lo(b) + dw3_hi(a) * dw3_hi(b);
}
static inline int32_t dw3_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    return acc + dw3_lo(a) * dw3_hi(b);
}
static inline int32_t dw3_smlatb(uint32_t a, uint32_t b, int32_t acc)
{
    return acc + dw3_hi(a) * dw3_lo(b);
}
static inline int32_t dw3_mmlar(int32_t a, int32_t b, int32_t k)
{
    return (int32_t)((int64_t)k + (((int64_t)a * b + ((int64_t)1 << 31)) >> 32));
}
static inline int32_t dw3_sat8(int32_t v)
{
    return v < -128 ? -128 : (v > 127 ? 127 : v);
}
#endif
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define dw3_smlad mote_smlad
#endif

/* The output stage of mote_requant_s8 on a doubled accumulator: the
 * rounding high multiply adds k = 2^(s-1) + (zp << s), and the sign of the
 * accumulator stands in for the sign of the product (they differ only when
 * the product rounds to 0, where both give the same quotient). */
static inline int32_t dw3_out(int32_t acc2, const int32_t *r, int full, int32_t lo, int32_t hi)
{
    int32_t v = (dw3_mmlar(acc2, r[7], r[8]) + (acc2 >> 31)) >> r[9];
    if (full) return dw3_sat8(v);
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Widen input row `src` (w pixels of c channels) into channel rows of dst. */
static void dw3_widen(int16_t *dst, const int8_t *src, int32_t w, int32_t c, int32_t row, int32_t pad)
{
    int32_t ch = 0;
#if MOTE_DSP
    for (; ch + 4 <= c; ch += 4) {
        int16_t *d0 = dst + (size_t)ch * row + pad;
        const int8_t *s = src + ch;
        int32_t x = 0;
        for (; x + 2 <= w; x += 2, s += 2 * c) {
            uint32_t a = mote_load_u32(s), b = mote_load_u32(s + c);
            uint32_t ea = mote_sxtb16(a), eb = mote_sxtb16(b);
            uint32_t oa = mote_sxtb16_ror8(a), ob = mote_sxtb16_ror8(b);
            uint32_t p0 = (ea & 0xFFFFu) | (eb << 16), p2 = (ea >> 16) | (eb & 0xFFFF0000u);
            uint32_t p1 = (oa & 0xFFFFu) | (ob << 16), p3 = (oa >> 16) | (ob & 0xFFFF0000u);
            memcpy(d0 + x, &p0, 4);
            memcpy(d0 + row + x, &p1, 4);
            memcpy(d0 + 2 * row + x, &p2, 4);
            memcpy(d0 + 3 * row + x, &p3, 4);
        }
        for (; x < w; x++, s += c)
            for (int32_t k = 0; k < 4; k++) d0[k * row + x] = s[k];
    }
#endif
    for (; ch < c; ch++) {
        int16_t *d = dst + (size_t)ch * row + pad;
        for (int32_t x = 0; x < w; x++) d[x] = src[(size_t)x * c + ch];
    }
}

/* Taps of one filter row into a pair of outputs: (p01, p23[, p45]) hold
 * the columns from the pair's first tap on. */
#define DW3_TAPS_S1(q, w01, w12)                         \
    do {                                                 \
        const uint32_t p01 = mote_load_u32(q);           \
        const uint32_t p23 = mote_load_u32((q) + 2);     \
        acc0 = dw3_smlad(p01, w01, acc0);                \
        acc0 = dw3_smlabt(p23, w12, acc0);               \
        acc1 = dw3_smlatb(p01, w01, acc1);               \
        acc1 = dw3_smlad(p23, w12, acc1);                \
    } while (0)
#define DW3_TAPS_S2(q, w01, w12)                         \
    do {                                                 \
        const uint32_t p01 = mote_load_u32(q);           \
        const uint32_t p23 = mote_load_u32((q) + 2);     \
        const uint32_t p45 = mote_load_u32((q) + 4);     \
        acc0 = dw3_smlad(p01, w01, acc0);                \
        acc0 = dw3_smlabt(p23, w12, acc0);               \
        acc1 = dw3_smlad(p23, w01, acc1);                \
        acc1 = dw3_smlabt(p45, w12, acc1);               \
    } while (0)

/* One output row: pixel pairs (then a last single pixel), all channels of
 * a pair before the next; q0..q2 walk the three ring rows channel by channel.
 * (Four pixels per step measured no better on Cortex-M4: register spills.) */
#if defined(__GNUC__)
#define DW3_INLINE static inline __attribute__((always_inline))
#else
#define DW3_INLINE static inline
#endif

/* Inlined into four copies (stride and clamp constant): no branches inside. */
DW3_INLINE void dw3_row(int8_t *y, const int16_t *r0, const int16_t *r1, const int16_t *r2,
                           const int32_t *rec, int32_t c, int32_t ow, const int32_t sw, int32_t row,
                           const int full, int32_t lo, int32_t hi)
{
    int32_t ox = 0;
    for (; ox + 2 <= ow; ox += 2) {
        const int16_t *q0 = r0 + ox * sw, *q1 = r1 + ox * sw, *q2 = r2 + ox * sw;
        const int32_t *r = rec;
        int8_t *y1 = y + c;
        for (int8_t *end = y + c; y < end; y++, y1++, r += MOTE_DW3_REC, q0 += row, q1 += row, q2 += row) {
            int32_t acc0 = r[6], acc1 = r[6];
            if (sw == 1) {
                DW3_TAPS_S1(q0, (uint32_t)r[0], (uint32_t)r[1]);
                DW3_TAPS_S1(q1, (uint32_t)r[2], (uint32_t)r[3]);
                DW3_TAPS_S1(q2, (uint32_t)r[4], (uint32_t)r[5]);
            } else {
                DW3_TAPS_S2(q0, (uint32_t)r[0], (uint32_t)r[1]);
                DW3_TAPS_S2(q1, (uint32_t)r[2], (uint32_t)r[3]);
                DW3_TAPS_S2(q2, (uint32_t)r[4], (uint32_t)r[5]);
            }
            *y = (int8_t)dw3_out(acc0, r, full, lo, hi);
            *y1 = (int8_t)dw3_out(acc1, r, full, lo, hi);
        }
        y += c;
    }
    if (ox < ow) {
        const int16_t *q0 = r0 + ox * sw, *q1 = r1 + ox * sw, *q2 = r2 + ox * sw;
        const int32_t *r = rec;
        for (int8_t *end = y + c; y < end; y++, r += MOTE_DW3_REC, q0 += row, q1 += row, q2 += row) {
            int32_t acc0 = r[6];
            acc0 = dw3_smlad(mote_load_u32(q0), (uint32_t)r[0], acc0);
            acc0 = dw3_smlabt(mote_load_u32(q0 + 2), (uint32_t)r[1], acc0);
            acc0 = dw3_smlad(mote_load_u32(q1), (uint32_t)r[2], acc0);
            acc0 = dw3_smlabt(mote_load_u32(q1 + 2), (uint32_t)r[3], acc0);
            acc0 = dw3_smlad(mote_load_u32(q2), (uint32_t)r[4], acc0);
            acc0 = dw3_smlabt(mote_load_u32(q2 + 2), (uint32_t)r[5], acc0);
            *y = (int8_t)dw3_out(acc0, r, full, lo, hi);
        }
    }
}

void mote_depthwise_s8_3x3_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_conv_data *d = n->data;
    const mote_dw3_hdr *h = (const mote_dw3_hdr *)(const void *)((const uint8_t *)n->data + mote_dw3_offset(d->channels));
    const int32_t *rec = (const int32_t *)(const void *)(h + 1);
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    const int8_t *x = in->data;
    int8_t *y = out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], c = in->dims[3];
    const int32_t oh = out->dims[1], ow = out->dims[2];
    const int32_t sh = n->opts.stride_h, sw = n->opts.stride_w, row = h->row;
    const size_t slot = (size_t)c * row;
    int16_t *ring = n->scratch;
    /* input zero point = -input_offset: the value of every padding cell */
    const int16_t zp = (int16_t)-d->input_offset;

    for (int32_t b = 0; b < batches; b++) {
        int32_t held[3] = {INT32_MIN, INT32_MIN, INT32_MIN};
        for (size_t i = 0; i < 3 * slot; i++) ring[i] = zp;
        const int8_t *xb = x + (size_t)b * ih * iw * c;
        for (int32_t oy = 0; oy < oh; oy++) {
            const int16_t *rows[3];
            for (int k = 0; k < 3; k++) {
                const int32_t iy = oy * sh - d->pad_h + k;
                const int32_t s = ((iy % 3) + 3) % 3;
                int16_t *dst = ring + (size_t)s * slot;
                if (held[s] != iy) {
                    held[s] = iy;
                    if (iy >= 0 && iy < ih)
                        dw3_widen(dst, xb + (size_t)iy * iw * c, iw, c, row, d->pad_w);
                    else
                        for (int32_t ch = 0; ch < c; ch++)
                            for (int32_t i = 0; i < iw; i++) dst[(size_t)ch * row + d->pad_w + i] = zp;
                }
                rows[k] = dst;
            }
            /* four copies of the row loop, each with its stride and clamp fixed */
            if (sw == 1 && h->full)
                dw3_row(y, rows[0], rows[1], rows[2], rec, c, ow, 1, row, 1, -128, 127);
            else if (sw == 1)
                dw3_row(y, rows[0], rows[1], rows[2], rec, c, ow, 1, row, 0, d->act_min, d->act_max);
            else if (h->full)
                dw3_row(y, rows[0], rows[1], rows[2], rec, c, ow, 2, row, 1, -128, 127);
            else
                dw3_row(y, rows[0], rows[1], rows[2], rec, c, ow, 2, row, 0, d->act_min, d->act_max);
            y += (size_t)ow * c;
        }
    }
}
