/* FULLY_CONNECTED int8, symmetric weights: four output rows per step over
 * packed weights and an input row expanded once (fc_s8_gemv.h). */
#include "fc_s8_gemv.h"

/* acc[r] += sum over `steps` 8-element slices of row r of w and xs. Not
 * inlined: the hand-scheduled loop needs every register. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void dot4(const uint32_t *xs, const int8_t *w, int32_t steps, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if MOTE_DSP && defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
    /* LDM and post-increments by hand, 40 instructions per 32 MACs. The loop
     * ends when xs reaches `end`, read from memory into a scratch register:
     * with acc live there is no register left for a counter. */
    const uint32_t *wp = (const uint32_t *)(const void *)w, *end = xs + 4 * steps;
    __asm__ volatile("1:\n\t"
                     "ldm %[x]!, {r4, r5, r6, r8}\n\t"
#define MOTE_FC_ROW(a)                                                                                     \
    "ldm %[w]!, {r9, r10}\n\t"                                                                             \
    "sxtb16 r11, r9, ror #8\n\t"                                                                           \
    "sxtb16 r9, r9\n\t"                                                                                    \
    "smlad %[" a "], r9, r4, %[" a "]\n\t"                                                                 \
    "smlad %[" a "], r11, r5, %[" a "]\n\t"                                                                \
    "sxtb16 r11, r10, ror #8\n\t"                                                                          \
    "sxtb16 r10, r10\n\t"                                                                                  \
    "smlad %[" a "], r10, r6, %[" a "]\n\t"                                                                \
    "smlad %[" a "], r11, r8, %[" a "]\n\t"
                     MOTE_FC_ROW("a0") MOTE_FC_ROW("a1") MOTE_FC_ROW("a2") MOTE_FC_ROW("a3")
#undef MOTE_FC_ROW
                     "ldr r9, %[end]\n\t"
                     "cmp %[x], r9\n\t"
                     "bne 1b\n\t"
                     : [x] "+r"(xs), [w] "+r"(wp), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3)
                     : [end] "m"(end)
                     : "r4", "r5", "r6", "r8", "r9", "r10", "r11", "cc", "memory");
#elif MOTE_DSP
    const uint32_t *wp = (const uint32_t *)(const void *)w;
    for (int32_t s = 0; s < steps; s++, xs += 4) {
        int32_t *a[4] = {&a0, &a1, &a2, &a3};
        for (int r = 0; r < 4; r++, wp += 2) {
            uint32_t lo = wp[0], hi = wp[1];
            *a[r] = mote_smlad(mote_sxtb16(lo), xs[0], *a[r]);
            *a[r] = mote_smlad(mote_sxtb16_ror8(lo), xs[1], *a[r]);
            *a[r] = mote_smlad(mote_sxtb16(hi), xs[2], *a[r]);
            *a[r] = mote_smlad(mote_sxtb16_ror8(hi), xs[3], *a[r]);
        }
    }
#else
    for (int32_t s = 0; s < steps; s++, xs += 4, w += 32) {
        const int8_t *x0 = (const int8_t *)(const void *)xs, *x1 = (const int8_t *)(const void *)(xs + 2);
        for (int j = 0; j < 4; j++) {
            a0 += w[j] * x0[j] + w[4 + j] * x1[j];
            a1 += w[8 + j] * x0[j] + w[12 + j] * x1[j];
            a2 += w[16 + j] * x0[j] + w[20 + j] * x1[j];
            a3 += w[24 + j] * x0[j] + w[28 + j] * x1[j];
        }
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

void mote_fc_s8_gemv_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_fc_params *p = n->data;
    const mote_fc_s8_pack *g = mote_fc_s8_pack_of(p, n->data_bytes);
    const int32_t *mult = mote_fc_s8_mult(g), *round = mote_fc_s8_round(g), *rshift = mote_fc_s8_rshift(g);
    const int32_t *bias = mote_fc_s8_bias(g);
    const int8_t *wbase = mote_fc_s8_weights(g);
    const int8_t *in = mote_in(n, t, 0)->data;
    int8_t *out = mote_out(n, t, 0)->data;
    uint32_t *xs = n->scratch;
    const int32_t units = p->units, k = g->k, steps = g->kp >> 3;
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t b = 0; b < p->batches; b++, in += k, out += units) {
        mote_s8_expand(xs, 2, in, k, g->kp);
        const int8_t *w = wbase;
        for (int32_t u = 0; u < units; u += 4, w += 4 * (size_t)g->kp) {
            int32_t acc[4] = {bias[u], bias[u + 1], bias[u + 2], bias[u + 3]};
            dot4(xs, w, steps, acc);
            for (int32_t r = 0; r < 4 && u + r < units; r++)
                out[u + r] = (int8_t)mote_requant_s8(acc[r], mult[u + r], round[u + r], rshift[u + r], off, lo, hi);
        }
    }
}
