/* FULLY_CONNECTED int8, symmetric weights: four output rows per step over
 * packed weights and an input row expanded once (fc_s8_gemv.h). */
#include "fc_s8_gemv.h"

#if defined(__GNUC__)
#define FC_INLINE static inline __attribute__((always_inline))
#else
#define FC_INLINE static inline
#endif

/* Where the step loop ends (x == end) and how many 8-element halves of a
 * step fall outside whole turns of the unrolled loop. In memory: the loop
 * has no register left for them. */
typedef struct {
    const uint32_t *end;
    int32_t rem;
} fc_walk;

#if MOTE_DSP && defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
/* One 8-element slice of 4 rows (32 MACs): LDM and post-increments by hand,
 * 37 instructions, all 32-bit encodings (the entry table below counts on
 * it: 148 bytes each). */
#define FC_ROW(a)                                                                                          \
    "ldm %[w]!, {r9, r10}\n\t"                                                                             \
    "sxtb16 r11, r9, ror #8\n\t"                                                                           \
    "sxtb16 r9, r9\n\t"                                                                                    \
    "smlad %[" a "], r9, r4, %[" a "]\n\t"                                                                 \
    "smlad %[" a "], r11, r5, %[" a "]\n\t"                                                                \
    "sxtb16 r11, r10, ror #8\n\t"                                                                          \
    "sxtb16 r10, r10\n\t"                                                                                  \
    "smlad %[" a "], r10, r6, %[" a "]\n\t"                                                                \
    "smlad %[" a "], r11, r8, %[" a "]\n\t"
#define FC_SLICE "ldm %[x]!, {r4, r5, r6, r8}\n\t" FC_ROW("a0") FC_ROW("a1") FC_ROW("a2") FC_ROW("a3")
#endif

/* acc[r] = bias[r] + row r of the group . xs over all slices; returns w
 * moved past the group's biases and weights. */
FC_INLINE const int32_t *dot4(const uint32_t *xs, const int32_t *w, const fc_walk *k, int32_t *acc)
{
#if MOTE_DSP && defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
    /* The 4 biases go straight into the accumulators (LDM fills registers in
     * number order: r0-r3), then the loop, unrolled 4 times, entered through
     * a TBB table so that the first turn does `rem` slices. */
    register int32_t a0 __asm__("r0");
    register int32_t a1 __asm__("r1");
    register int32_t a2 __asm__("r2");
    register int32_t a3 __asm__("r3");
    register const uint32_t *x __asm__("r12") = xs;
    register const int32_t *wr __asm__("r14") = w;
    __asm__ volatile("ldm %[w]!, {%[a0], %[a1], %[a2], %[a3]}\n\t"
                     "ldr r9, %[rem]\n\t"
                     "tbb [pc, r9]\n\t"
                     "0:\n\t"
                     ".byte (1f - 0b) / 2, (4f - 0b) / 2, (3f - 0b) / 2, (2f - 0b) / 2\n\t"
                     "1:\n\t" FC_SLICE "2:\n\t" FC_SLICE "3:\n\t" FC_SLICE "4:\n\t" FC_SLICE
                     "ldr r9, %[end]\n\t"
                     "cmp %[x], r9\n\t"
                     "bne.w 1b\n\t"
                     : [x] "+r"(x), [w] "+r"(wr), [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3)
                     : [end] "m"(k->end), [rem] "m"(k->rem)
                     : "r4", "r5", "r6", "r8", "r9", "r10", "r11", "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    return wr;
#elif MOTE_DSP
    int32_t a0 = w[0], a1 = w[1], a2 = w[2], a3 = w[3];
    const uint32_t *wp = (const uint32_t *)(const void *)(w + 4);
    for (; xs != k->end; xs += 4) {
        int32_t *a[4] = {&a0, &a1, &a2, &a3};
        for (int r = 0; r < 4; r++, wp += 2) {
            uint32_t lo = wp[0], hi = wp[1];
            *a[r] = mote_smlad(mote_sxtb16(lo), xs[0], *a[r]);
            *a[r] = mote_smlad(mote_sxtb16_ror8(lo), xs[1], *a[r]);
            *a[r] = mote_smlad(mote_sxtb16(hi), xs[2], *a[r]);
            *a[r] = mote_smlad(mote_sxtb16_ror8(hi), xs[3], *a[r]);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    return (const int32_t *)(const void *)wp;
#else
    int32_t a0 = w[0], a1 = w[1], a2 = w[2], a3 = w[3];
    const int8_t *wb = (const int8_t *)(const void *)(w + 4);
    for (; xs != k->end; xs += 4, wb += 32) {
        const int8_t *x0 = (const int8_t *)(const void *)xs, *x1 = (const int8_t *)(const void *)(xs + 2);
        for (int j = 0; j < 4; j++) {
            a0 += wb[j] * x0[j] + wb[4 + j] * x1[j];
            a1 += wb[8 + j] * x0[j] + wb[12 + j] * x1[j];
            a2 += wb[16 + j] * x0[j] + wb[20 + j] * x1[j];
            a3 += wb[24 + j] * x0[j] + wb[28 + j] * x1[j];
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    return (const int32_t *)(const void *)wb;
#endif
}

/* dot4 out of line, for the general path and a last partial group: one
 * copy of the loop. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static const int32_t *dot4_call(const uint32_t *xs, const int32_t *w, const fc_walk *k, int32_t *acc)
{
    const fc_walk kk = *k;
    return dot4(xs, w, &kk, acc);
}

/* The folded output stage (fc_s8_gemv.h): round holds the output offset
 * and, unless `full` (act_min = -128), the lower clamp; act_max is 127. */
FC_INLINE int32_t requant_folded(int32_t acc, int32_t mult, int32_t round, int32_t rshift, int32_t lo, int full)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
    int32_t v, y;
    __asm__("smmulr %0, %1, %2" : "=r"(v) : "r"(acc * 2), "r"(mult));
    y = (2 * v + round + (v >> 31)) >> rshift;
    if (full) return __ssat(y, 8);
    __asm__("bic %0, %1, %1, asr #31" : "=r"(y) : "r"(y)); /* max(y, 0) */
    return __ssat(y + lo, 8);
#else
    int32_t v = (int32_t)(((int64_t)acc * mult + ((int64_t)1 << 30)) >> 31);
    int32_t y = (2 * v + round + (v >> 31)) >> rshift;
    if (full) return y < -128 ? -128 : (y > 127 ? 127 : y);
    y = (y < 0 ? 0 : y) + lo;
    return y > 127 ? 127 : y;
#endif
}

typedef struct {
    int32_t off, lo, hi;
} fc_clamp;

/* n <= 4 outputs of one group; c: the group's constants (mult x4, round
 * x4, rshift x4), or the head when the pack is uniform. */
static void requant4(int8_t *out, const int32_t *acc, int32_t n, const int32_t *c, int uniform, int folded,
                     const fc_clamp *q)
{
    for (int32_t r = 0; r < n; r++) {
        const int32_t m = uniform ? c[0] : c[r], rd = uniform ? c[1] : c[4 + r], sh = uniform ? c[2] : c[8 + r];
        out[r] = (int8_t)(folded ? requant_folded(acc[r], m, rd, sh, q->lo, folded == 2)
                                 : mote_requant_s8(acc[r], m, rd, sh, q->off, q->lo, q->hi));
    }
}

/* Full groups of a folded uniform pack (the common case): inline and
 * unrolled, a copy per kind of clamp. */
FC_INLINE int32_t fast_rows(const uint32_t *xs, const int32_t *head, int32_t units, const fc_walk *k, int32_t lo,
                            int full, int8_t *out)
{
    const int32_t *w = head + 4;
    const fc_walk kk = *k;
    int32_t u = 0;
    for (; u + 4 <= units; u += 4, out += 4) {
        int32_t a[4];
        w = dot4(xs, w, &kk, a);
        const int32_t m = head[0], rd = head[1], sh = head[2];
        out[0] = (int8_t)requant_folded(a[0], m, rd, sh, lo, full);
        out[1] = (int8_t)requant_folded(a[1], m, rd, sh, lo, full);
        out[2] = (int8_t)requant_folded(a[2], m, rd, sh, lo, full);
        out[3] = (int8_t)requant_folded(a[3], m, rd, sh, lo, full);
    }
    return u;
}

/* One input row through every group; what fast_rows leaves through
 * dot4_call. */
static void rows(const uint32_t *xs, const int32_t *head, int32_t units, const fc_walk *k, int uniform, int folded,
                 const fc_clamp *q, int8_t *out)
{
    int32_t u = 0;
    if (folded == 2 && uniform)
        u = fast_rows(xs, head, units, k, q->lo, 1, out);
    else if (folded && uniform)
        u = fast_rows(xs, head, units, k, q->lo, 0, out);
    const size_t gw = (size_t)(k->end - xs) * 2 + 4 + (uniform ? 0 : 12); /* group stride, words */
    const int32_t *w = head + 4 + (size_t)(u / 4) * gw;
    for (out += u; u < units; u += 4, out += 4) {
        int32_t acc[4];
        w = dot4_call(xs, w, k, acc);
        requant4(out, acc, units - u < 4 ? units - u : 4, uniform ? head : w, uniform, folded, q);
        if (!uniform) w += 12;
    }
}

void mote_fc_s8_gemv_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_fc_params *p = n->data;
    const mote_fc_s8_pack *g = mote_fc_s8_pack_of(p, n->data_bytes);
    const int32_t *head = mote_fc_s8_head(g);
    const int8_t *in = mote_in(n, t, 0)->data;
    int8_t *out = mote_out(n, t, 0)->data;
    uint32_t *xs = n->scratch;
    const int32_t units = p->units, k = g->k;
    const fc_walk walk = {xs + (g->kp >> 1), (g->kp >> 3) & 3};
    const fc_clamp q = {p->output_offset, p->act_min, p->act_max};
    for (int32_t b = 0; b < p->batches; b++, in += k, out += units) {
        mote_s8_expand(xs, 2, in, k, g->kp);
        rows(xs, head, units, &walk, g->uniform, g->folded, &q, out);
    }
}
