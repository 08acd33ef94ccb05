/* MoteMotionFeatures (mote's own custom op): per-axis statistics and spectral
 * power of one window of int16 motion samples [window, axes], in integer
 * arithmetic only, so every core computes the same bytes.
 *
 * Per axis a, features a * (4 + bands) + j, in this order (docs/frontends.md):
 *   j = 0  mean  round(16 * sum(x) / W)                     Q4 sample units
 *   j = 1  std   floor(sqrt(floor(256 * (W*sum(x^2) - sum(x)^2) / W^2)))  Q4
 *   j = 2  min   16 * min(x)                                Q4
 *   j = 3  max   16 * max(x)                                Q4
 *   j = 4 + b  band b: floor(256 * log2(1 + P_b)),  P_b = sum over its bins k of
 *          A_re(k)^2 + A_im(k)^2, A(k) = round(sum_n d_n * tw(k n) / (W * 2^11)),
 *          d_n = 16 x_n - mean (Q4), tw = Q15 cos / sin of 2 pi k n / W: A is
 *          the DFT over W in Q8 sample units, P_b the band's power in Q16;
 *          bins 1..W/2 split evenly: band b is lo_b = 1 + b*(W/2)/B ..
 *          hi_b = (b+1)*(W/2)/B.
 * Rounding: round() is half away from zero; log2 is truncated to 8 fraction
 * bits by repeated squaring. With an int8 output each feature f is normalised:
 * out = clamp(zp + ((f - offset) * m + 2^(r-1)) >> r, -128, 127), r = 31 - shift
 * (input 1: offsets [F]; input 2: [F, 2] pairs of m, shift: the real
 * multiplier is m * 2^(shift - 31)). An int32 output takes the raw features.
 * The twiddles come from an integer sine (Taylor series in Q30), not libm:
 * prepare too gives the same bytes on every core. */
#include "motion_common.h"

/* sin of a (a / 2^32 of a turn) in Q30: quadrant symmetry, then the Taylor
 * series of sin x on [0, pi/2] with each term's magnitude truncated. */
static int32_t isin_q30(uint32_t a)
{
    const uint32_t quadrant = a >> 30;
    int64_t r = (int64_t)(a & ((1u << 30) - 1));
    if (quadrant & 1) r = ((int64_t)1 << 30) - r;
    const int64_t x = (r * 1686629713) >> 30; /* 1686629713 = round(pi / 2 * 2^30) */
    int64_t sum = x, term = x;
    for (int64_t i = 1; i < 16 && term; i++) {
        term = ((((term * x) >> 30) * x) >> 30) / ((2 * i) * (2 * i + 1));
        sum += (i & 1) ? -term : term;
    }
    return (int32_t)(quadrant >= 2 ? -sum : sum);
}

static int16_t q15(int32_t v)
{
    int32_t q = (int32_t)div_round(v, 1 << 15);
    return (int16_t)(q > 32767 ? 32767 : q < -32767 ? -32767 : q);
}

static mote_status motion_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if ((n->n_in != 1 && n->n_in != 3) || n->n_out != 1)
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "MoteMotionFeatures needs 1 input (int32 output) or 3 (int8 output) and 1 output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    if (!in) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "MoteMotionFeatures input missing");
    if (in->type != MOTE_I16) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "MoteMotionFeatures input must be int16");
    if (in->rank != 2) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "MoteMotionFeatures input must be [window, axes]");
    const int32_t w = in->dims[0], axes = in->dims[1];
    if (w < 4 || w > MOTE_MOTION_MAX_WINDOW)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "MoteMotionFeatures window must be 4..1024 samples");
    if (axes < 1 || axes > MOTE_MOTION_MAX_AXES)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "MoteMotionFeatures axes must be 1..16");
    if (n->opts.n_iparams < MOTE_MOTION_N) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "MoteMotionFeatures options missing (bands)");
    const int32_t bands = n->opts.iparams[MOTE_MOTION_BANDS];
    if (bands < 0 || bands > MOTE_MOTION_MAX_BANDS || bands > w / 2)
        return mote_fail(ctx, MOTE_ERR_PARAM, -1, "MoteMotionFeatures bands must be 0..32 and at most window / 2");
    const int32_t feats = axes * (MOTE_MOTION_STATS + bands);
    if (mote_tensor_elems(out) != feats)
        return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[n->n_in], "MoteMotionFeatures output must hold axes * (4 + bands) features");
    int32_t zp = 0;
    if (out->type == MOTE_I32) {
        if (n->n_in != 1)
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[n->n_in], "MoteMotionFeatures int32 output (raw features) takes no normalisation inputs");
        n->eval = mote_motion_features_i32_eval;
    } else if (out->type == MOTE_I8) {
        if (n->n_in != 3)
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[n->n_in], "MoteMotionFeatures int8 output needs offsets (input 1) and multipliers (input 2)");
        if (out->q.n < 1 || !out->q.zero_point)
            return mote_fail(ctx, MOTE_ERR_PARAM, n->io[3], "MoteMotionFeatures int8 output must be quantized");
        zp = out->q.zero_point[0];
        if (zp < -128 || zp > 127) return mote_fail(ctx, MOTE_ERR_PARAM, n->io[3], "MoteMotionFeatures output zero point outside int8");
        for (int i = 1; i < 3; i++) {
            const mote_tensor *p = mote_in(n, t, i);
            if (!p || p->type != MOTE_I32) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[i], "MoteMotionFeatures offsets and multipliers must be int32");
            if (!mote_const_bytes(p)) return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[i], "MoteMotionFeatures offsets and multipliers must be constant");
            if (mote_tensor_elems(p) != (int64_t)feats * i || p->bytes != (size_t)feats * (size_t)i * sizeof(int32_t))
                return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[i], i == 1 ? "MoteMotionFeatures offsets need one int32 per feature"
                                                                        : "MoteMotionFeatures multipliers need two int32 (m, shift) per feature");
        }
        const int32_t *mul = (const int32_t *)mote_const_bytes(mote_in(n, t, 2));
        for (int32_t i = 0; i < feats; i++)
            if (mul[2 * i] < 0 || mul[2 * i + 1] < -31 || mul[2 * i + 1] > 30)
                return mote_fail(ctx, MOTE_ERR_PARAM, n->io[2], "MoteMotionFeatures multiplier negative or shift outside -31..30");
        n->eval = mote_motion_features_s8_eval;
    } else {
        return mote_fail(ctx, MOTE_ERR_TYPE, n->io[n->n_in], "MoteMotionFeatures output must be int8 (normalised) or int32 (raw)");
    }
    mote_motion_data *d = (mote_motion_data *)mote_node_data(ctx, n, sizeof *d + 2 * (size_t)w * sizeof(int16_t));
    if (!d) return MOTE_ERR_ARENA;
    d->window = w;
    d->axes = axes;
    d->bands = bands;
    d->out_zp = zp;
    int16_t *c = (int16_t *)(void *)(d + 1), *s = c + w;
    for (int32_t m = 0; m < w; m++) {
        const uint32_t turn = (uint32_t)(((uint64_t)m << 32) / (uint64_t)w);
        c[m] = q15(isin_q30(turn + (1u << 30)));
        s[m] = q15(isin_q30(turn));
    }
    return MOTE_OK;
}

static const mote_kernel motion_features_kernels[] = {
    MOTE_KERNEL("motion_features_s8", mote_motion_features_s8_eval),
    MOTE_KERNEL("motion_features_i32", mote_motion_features_i32_eval),
};

const mote_op_def mote_op_motion_features = {motion_prepare, MOTE_KERNELS(motion_features_kernels)};
