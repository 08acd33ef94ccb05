/* Audio front end (mote/frontend.h): raw int16 PCM -> log-mel features, as one graph of TFLM signal ops.
 *
 *   samples [--SignalFftAutoScale: the clip to full scale] --RESHAPE--> [chunks, stride] --STRIDED_SLICE x k, CONCATENATION--> frames [F, k * stride]
 *   --SignalWindow (Hann, Q12)--> --SignalFftAutoScale--> --SignalRfft--> --SignalEnergy--> |X|^2
 *   --SignalFilterBank (mel triangles, Q12)--> --SignalFilterBankSquareRoot (undoes the auto scale)-->
 *   [--SignalFilterBankSpectralSubtraction--> --SignalPCAN--> (noise reduction)]
 *   --SignalFilterBankLog--> int16 ln(amplitude) * 1024 --QUANTIZE--> int8 [F, bins]
 *   [--MEAN over the frames (keep_dims) [1, bins], SUB (broadcast)--> int8 [F, bins]   (normalize_features)]
 *
 * Framing needs no framing op: a frame of k strides is k consecutive rows of the [chunks, stride] view,
 * so frame f is the concatenation of slices f..f+k-1 of that view. The signal ops see a stack of F
 * frames (runtime/include/mote/signal.h), so the whole second of audio is one invoke.
 *
 * The int8 scale covers the log values the training data produced (their min and max), fitted once; so
 * does the normalised features' scale (their largest distance from the bin's mean). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mote/signal.h"

#define LOG_SCALE 1024     /* SignalFilterBankLog output_scale: int16 = ln(amplitude) * 1024 */
#define WEIGHT_BITS 12     /* Q12 window and filter-bank weights (TFLM micro_speech uses the same) */
#define PCAN_LUT 125

void fe_audio_defaults(fe_audio_params *p)
{
    memset(p, 0, sizeof *p);
    p->sample_rate = 16000;
    /* 25 ms frames, not overlapped, 20 mel bins: an FSDD model with this front end runs a second of audio
     * in ~30 ms on a 64 MHz Cortex-M4 at 97-98 % (docs/benchmarks.md); 40 ms frames every 20 ms with 40
     * bins (KWS's usual) gain under 1 pp there for 2.5x the instructions */
    p->stride_ms = 25;
    p->frame_strides = 1;
    p->bins = 20;
    p->lower_hz = 125.0f;
    p->normalize = 1;
}

static double mel(double hz) { return 1127.0 * log(1.0 + hz / 700.0); }

typedef struct {
    int stride, frame, chunks, frames, fft, spectrum;
} geometry;

static int check(const fe_audio_params *p, geometry *gm, float *upper, char *err, size_t errlen)
{
    const char *bad = NULL;
    if (p->sample_rate < 1000 || p->sample_rate > 192000) bad = "sample_rate must be in 1000..192000 Hz";
    else if (p->stride_ms < 1 || p->stride_ms > 1000) bad = "stride_ms must be in 1..1000";
    else if (p->frame_strides < 1 || p->frame_strides > 8) bad = "frame_strides must be in 1..8";
    else if (p->bins < 1 || p->bins > 128) bad = "bins must be in 1..128";
    if (bad) {
        snprintf(err, errlen, "audio front end: %s", bad);
        return -1;
    }
    gm->stride = (int)((long)p->sample_rate * p->stride_ms / 1000);
    int samples = p->samples ? p->samples : p->sample_rate;
    if ((long)p->sample_rate * p->stride_ms % 1000 != 0) {
        snprintf(err, errlen, "audio front end: a %d ms stride is not a whole number of samples at %d Hz", p->stride_ms,
                 p->sample_rate);
        return -1;
    }
    if (samples % gm->stride != 0 || samples / gm->stride < p->frame_strides) {
        snprintf(err, errlen, "audio front end: %d samples are not a whole number (>= %d) of %d-sample strides", samples,
                 p->frame_strides, gm->stride);
        return -1;
    }
    gm->chunks = samples / gm->stride;
    gm->frame = gm->stride * p->frame_strides;
    gm->frames = gm->chunks - p->frame_strides + 1;
    for (gm->fft = 4; gm->fft < gm->frame; gm->fft *= 2) {}
    if (gm->fft > 8192) {
        snprintf(err, errlen, "audio front end: %d-sample frames need an FFT above 8192", gm->frame);
        return -1;
    }
    gm->spectrum = gm->fft / 2 + 1;
    float nyq = p->sample_rate / 2.0f;
    *upper = p->upper_hz > 0 ? p->upper_hz : 0.9f * nyq;
    if (!(p->lower_hz >= 0 && p->lower_hz < *upper && *upper <= nyq)) {
        snprintf(err, errlen, "audio front end: the band %.0f..%.0f Hz is not inside 0..%.0f Hz", p->lower_hz, *upper, nyq);
        return -1;
    }
    return 0;
}

/* Mel triangles as SignalFilterBank tables (see signal_filter_bank.c): bands 0..bins between bins + 2 mel
 * points; in band b a bin at fraction t of the band gets weight 1 - t (the falling side of the triangle
 * peaking at the band's start) and unweight t (the rising side of the one peaking at its end). */
typedef struct {
    int16_t *w, *uw;
    int16_t fstart[129], wstart[129], width[129];
    int n_weights;
} fbank;

static int filter_bank(const fe_audio_params *p, const geometry *gm, float upper, fbank *fb)
{
    double lo = mel(p->lower_hz), hi = mel(upper), step = (hi - lo) / (p->bins + 1);
    fb->w = calloc((size_t)gm->spectrum, sizeof(int16_t));
    fb->uw = calloc((size_t)gm->spectrum, sizeof(int16_t));
    if (!fb->w || !fb->uw) return -1;
    int k = 0, n = 0;
    for (int b = 0; b <= p->bins; b++) {
        double m0 = lo + b * step, m1 = m0 + step;
        while (k < gm->spectrum && mel((double)k * p->sample_rate / gm->fft) < m0) k++;
        fb->fstart[b] = (int16_t)k;
        fb->wstart[b] = (int16_t)n;
        while (k < gm->spectrum && mel((double)k * p->sample_rate / gm->fft) < m1) {
            double t = (mel((double)k * p->sample_rate / gm->fft) - m0) / step;
            int16_t w = (int16_t)lrint((1.0 - t) * (1 << WEIGHT_BITS));
            fb->w[n] = w;
            fb->uw[n] = (int16_t)((1 << WEIGHT_BITS) - w);
            n++, k++;
        }
        fb->width[b] = (int16_t)(n - fb->wstart[b]);
    }
    fb->n_weights = n > 0 ? n : 1;
    return 0;
}

/* PCAN gain table for SignalPCAN (see signal_pcan.c): gain(x) = 2^gain_bits * (x / 2^input_bits +
 * offset)^-strength, with lut[0], lut[1] = gain(0), gain(1) and per power-of-two interval i = 2..32 the
 * quadratic c0 + c1 t + c2 t^2 (t in [0, 1) across the interval) through t = 0, 1/2, 1 at lut[4i - 6..]. */
static void pcan_lut(int16_t *lut, double strength, double offset, int gain_bits, int input_bits)
{
    memset(lut, 0, PCAN_LUT * sizeof *lut);
#define GAIN(x) fmin(32767.0, ldexp(pow((x) / ldexp(1.0, input_bits) + offset, -strength), gain_bits))
    lut[0] = (int16_t)lrint(GAIN(0.0));
    lut[1] = (int16_t)lrint(GAIN(1.0));
    for (int i = 2; i <= 32; i++) {
        double x0 = ldexp(1.0, i - 1);
        double g0 = GAIN(x0), gh = GAIN(1.5 * x0), g1 = GAIN(2.0 * x0);
        double c1 = 4 * gh - 3 * g0 - g1, c2 = 2 * g1 + 2 * g0 - 4 * gh;
        int16_t *c = lut + 4 * i - 6;
        c[0] = (int16_t)lrint(g0);
        c[1] = (int16_t)lrint(fmax(-32768.0, fmin(32767.0, c1)));
        c[2] = (int16_t)lrint(fmax(-32768.0, fmin(32767.0, c2)));
    }
#undef GAIN
}

/* How far the graph goes: the int16 log features (to fit the int8 range), their int8 values, or (with
 * normalize_features) the int8 values minus each bin's mean over the frames. */
enum { TO_LOG, TO_INT8, TO_NORMALIZED };

typedef struct {
    float scale;     /* the int8 log features: zero point -128 (silence) */
    float cmn_scale; /* the normalised features: zero point 0 (the clip's mean) */
} quant;

static mote_ir_graph *build(const fe_audio_params *p, const geometry *gm, float upper, int upto, const quant *qp,
                            char *err, size_t errlen)
{
    mote_irb b;
    mote_ir_graph *g = mote_irb_begin(&b, err, errlen);
    if (!g) return NULL;
    fbank fb = {0};
    if (filter_bank(p, gm, upper, &fb)) {
        mote_irb_fail(&b, "out of memory");
        goto fail;
    }
    mote_opts o = mote_irb_opts();
    const int F = gm->frames, S = gm->stride, K = p->frame_strides, C = p->bins;
    int32_t samples = gm->chunks * S;
    int32_t in = mote_irb_tensor(&b, "audio", MOTE_I16, 1, &samples), in_norm = in;
    int32_t d2[2] = {gm->chunks, S};
    if (p->normalize) { /* the whole clip to full scale (a power-of-two gain): loudness out of the features */
        int32_t scalar_out[2] = {mote_irb_tensor(&b, "fe/normalized", MOTE_I16, 1, &samples),
                                 mote_irb_tensor(&b, "fe/normalize_bits", MOTE_I32, 0, NULL)};
        mote_opts no = o;
        no.n_iparams = 0;
        if (scalar_out[0] < 0 || scalar_out[1] < 0 ||
            mote_irb_op(&b, MOTE_OP_SIGNAL_FFT_AUTO_SCALE, &in, 1, scalar_out, 2, &no))
            goto fail;
        in_norm = scalar_out[0];
    }
    int32_t chunks = mote_irb_tensor(&b, "fe/chunks", MOTE_I16, 2, d2);
    if (in < 0 || chunks < 0 || mote_irb_op(&b, MOTE_OP_RESHAPE, &in_norm, 1, &chunks, 1, &o)) goto fail;

    int32_t frames = chunks;
    if (K > 1) {
        int32_t parts[8], two = 2;
        int32_t strides_v[2] = {1, 1}, sd[2] = {F, S};
        int32_t strides_t = mote_irb_const(&b, "fe/slice_strides", MOTE_I32, 1, &two, strides_v);
        for (int j = 0; j < K; j++) {
            char name[48];
            int32_t beg_v[2] = {j, 0}, end_v[2] = {j + F, S};
            snprintf(name, sizeof name, "fe/slice%d_begin", j);
            int32_t beg = mote_irb_const(&b, name, MOTE_I32, 1, &two, beg_v);
            snprintf(name, sizeof name, "fe/slice%d_end", j);
            int32_t end = mote_irb_const(&b, name, MOTE_I32, 1, &two, end_v);
            snprintf(name, sizeof name, "fe/slice%d", j);
            parts[j] = mote_irb_tensor(&b, name, MOTE_I16, 2, sd);
            int32_t ins[4] = {chunks, beg, end, strides_t};
            if (strides_t < 0 || beg < 0 || end < 0 || parts[j] < 0 ||
                mote_irb_op(&b, MOTE_OP_STRIDED_SLICE, ins, 4, &parts[j], 1, &o))
                goto fail;
        }
        int32_t fd[2] = {F, gm->frame};
        mote_opts co = o;
        co.axis = 1;
        if ((frames = mote_irb_tensor(&b, "fe/frames", MOTE_I16, 2, fd)) < 0 ||
            mote_irb_op(&b, MOTE_OP_CONCATENATION, parts, K, &frames, 1, &co))
            goto fail;
    }

    /* Hann window, Q12 */
    int16_t *hann = malloc(sizeof(int16_t) * (size_t)gm->frame);
    if (!hann) {
        mote_irb_fail(&b, "out of memory");
        goto fail;
    }
    for (int i = 0; i < gm->frame; i++)
        hann[i] = (int16_t)lrint((0.5 - 0.5 * cos(6.283185307179586 * i / gm->frame)) * (1 << WEIGHT_BITS));
    int32_t wl = gm->frame, fd[2] = {F, gm->frame};
    int32_t wt = mote_irb_const(&b, "fe/window", MOTE_I16, 1, &wl, hann);
    free(hann);
    int32_t windowed = mote_irb_tensor(&b, "fe/windowed", MOTE_I16, 2, fd);
    mote_opts so = o;
    so.iparams[MOTE_SIG_WINDOW_SHIFT] = WEIGHT_BITS;
    so.n_iparams = MOTE_SIG_WINDOW_N;
    int32_t ins[6] = {frames, wt};
    if (wt < 0 || windowed < 0 || mote_irb_op(&b, MOTE_OP_SIGNAL_WINDOW, ins, 2, &windowed, 1, &so)) goto fail;

    int32_t scaled = mote_irb_tensor(&b, "fe/scaled", MOTE_I16, 2, fd);
    int32_t nframes = F;
    int32_t shift = mote_irb_tensor(&b, "fe/scale_bits", MOTE_I32, 1, &nframes);
    int32_t outs[2] = {scaled, shift};
    so = o;
    so.n_iparams = 0;
    if (scaled < 0 || shift < 0 || mote_irb_op(&b, MOTE_OP_SIGNAL_FFT_AUTO_SCALE, &windowed, 1, outs, 2, &so)) goto fail;

    int32_t sd2[2] = {F, gm->fft + 2}, ed[2] = {F, gm->spectrum}, cd[2] = {F, C};
    int32_t spec = mote_irb_tensor(&b, "fe/spectrum", MOTE_I16, 2, sd2);
    so.iparams[MOTE_SIG_RFFT_FFT_LENGTH] = gm->fft;
    so.iparams[MOTE_SIG_RFFT_T] = 7; /* int16 */
    so.n_iparams = MOTE_SIG_RFFT_N;
    if (spec < 0 || mote_irb_op(&b, MOTE_OP_SIGNAL_RFFT, &scaled, 1, &spec, 1, &so)) goto fail;

    int32_t energy = mote_irb_tensor(&b, "fe/energy", MOTE_U32, 2, ed);
    so.iparams[MOTE_SIG_ENERGY_START] = fb.fstart[0];
    so.iparams[MOTE_SIG_ENERGY_END] = fb.fstart[C] + fb.width[C];
    so.n_iparams = MOTE_SIG_ENERGY_N;
    if (energy < 0 || mote_irb_op(&b, MOTE_OP_SIGNAL_ENERGY, &spec, 1, &energy, 1, &so)) goto fail;

    int32_t nw = fb.n_weights, nc = C + 1;
    ins[0] = energy;
    ins[1] = mote_irb_const(&b, "fe/fb_weights", MOTE_I16, 1, &nw, fb.w);
    ins[2] = mote_irb_const(&b, "fe/fb_unweights", MOTE_I16, 1, &nw, fb.uw);
    ins[3] = mote_irb_const(&b, "fe/fb_frequency_starts", MOTE_I16, 1, &nc, fb.fstart);
    ins[4] = mote_irb_const(&b, "fe/fb_weight_starts", MOTE_I16, 1, &nc, fb.wstart);
    ins[5] = mote_irb_const(&b, "fe/fb_widths", MOTE_I16, 1, &nc, fb.width);
    int32_t bank = mote_irb_tensor(&b, "fe/filter_bank", MOTE_U64, 2, cd);
    so.iparams[MOTE_SIG_FB_NUM_CHANNELS] = C;
    so.n_iparams = MOTE_SIG_FB_N;
    if (bank < 0 || mote_irb_op(&b, MOTE_OP_SIGNAL_FILTER_BANK, ins, 6, &bank, 1, &so)) goto fail;

    int32_t amp = mote_irb_tensor(&b, "fe/amplitude", MOTE_U32, 2, cd);
    ins[0] = bank, ins[1] = shift;
    so.n_iparams = 0;
    if (amp < 0 || mote_irb_op(&b, MOTE_OP_SIGNAL_FILTER_BANK_SQUARE_ROOT, ins, 2, &amp, 1, &so)) goto fail;

    if (p->noise_reduction) {
        /* TFLM micro_speech's settings: smoothing 0.04 / 0.04 in Q14, 5% of the signal kept at least,
         * estimate in Q10; PCAN strength 0.95, offset 80, 21 gain bits; the snr shift 9 = 21 - 12 makes x * gain
         * the signal-to-noise ratio in Q12 for this chain's units. */
        int32_t clean = mote_irb_tensor(&b, "fe/denoised", MOTE_U32, 2, cd);
        int32_t noise = mote_irb_tensor(&b, "fe/noise_estimate", MOTE_U32, 2, cd);
        int32_t so_out[2] = {clean, noise};
        int32_t *ip = so.iparams;
        ip[MOTE_SIG_SS_NUM_CHANNELS] = C;
        ip[MOTE_SIG_SS_SMOOTHING] = ip[MOTE_SIG_SS_ALT_SMOOTHING] = 655;          /* 0.04 * 2^14 */
        ip[MOTE_SIG_SS_ONE_MINUS_SMOOTHING] = ip[MOTE_SIG_SS_ALT_ONE_MINUS_SMOOTHING] = 16384 - 655;
        ip[MOTE_SIG_SS_MIN_SIGNAL_REMAINING] = 819;                                /* 0.05 * 2^14 */
        ip[MOTE_SIG_SS_SMOOTHING_BITS] = 10;
        ip[MOTE_SIG_SS_SPECTRAL_SUBTRACTION_BITS] = 14;
        ip[MOTE_SIG_SS_CLAMPING] = 0;
        so.n_iparams = MOTE_SIG_SS_N;
        if (clean < 0 || noise < 0 ||
            mote_irb_op(&b, MOTE_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION, &amp, 1, so_out, 2, &so))
            goto fail;
        int16_t lut[PCAN_LUT];
        pcan_lut(lut, 0.95, 80.0, 21, 10);
        int32_t nl = PCAN_LUT;
        ins[0] = clean, ins[1] = noise, ins[2] = mote_irb_const(&b, "fe/pcan_gain", MOTE_I16, 1, &nl, lut);
        int32_t gained = mote_irb_tensor(&b, "fe/pcan", MOTE_U32, 2, cd);
        so.iparams[MOTE_SIG_PCAN_SNR_SHIFT] = 9;
        so.n_iparams = MOTE_SIG_PCAN_N;
        if (gained < 0 || mote_irb_op(&b, MOTE_OP_SIGNAL_PCAN, ins, 3, &gained, 1, &so)) goto fail;
        amp = gained;
    }

    int32_t logt = mote_irb_tensor(&b, "fe/log", MOTE_I16, 2, cd);
    so.iparams[MOTE_SIG_LOG_INPUT_CORRECTION_BITS] = 0;
    so.iparams[MOTE_SIG_LOG_OUTPUT_SCALE] = LOG_SCALE;
    so.n_iparams = MOTE_SIG_LOG_N;
    if (logt < 0 || mote_irb_op(&b, MOTE_OP_SIGNAL_FILTER_BANK_LOG, &amp, 1, &logt, 1, &so)) goto fail;
    int32_t out = logt;
    if (upto >= TO_INT8) {
        float s16 = 1.0f / LOG_SCALE;
        int32_t z16 = 0, zp = -128;
        if (mote_irb_quant(&b, logt, 1, 0, &s16, &z16)) goto fail;
        out = mote_irb_tensor(&b, upto == TO_NORMALIZED ? "fe/log_int8" : "features", MOTE_I8, 2, cd);
        if (out < 0 || mote_irb_quant(&b, out, 1, 0, &qp->scale, &zp) ||
            mote_irb_op(&b, MOTE_OP_QUANTIZE, &logt, 1, &out, 1, &o))
            goto fail;
    }
    if (upto == TO_NORMALIZED) {
        /* cepstral mean normalisation: a constant gain per band (the speaker's or microphone's colouring)
         * adds the same log value to every frame of the bin, and subtracting the bin's mean removes it */
        int32_t zero = 0, one = 1, md[2] = {1, C}, z0 = 0;
        int32_t axis = mote_irb_const(&b, "fe/mean_axis", MOTE_I32, 1, &one, &zero);
        int32_t mean = mote_irb_tensor(&b, "fe/bin_mean", MOTE_I8, 2, md);
        int32_t zp = -128;
        mote_opts mo = o;
        mo.keep_dims = 1;
        int32_t mins[2] = {out, axis};
        if (axis < 0 || mean < 0 || mote_irb_quant(&b, mean, 1, 0, &qp->scale, &zp) ||
            mote_irb_op(&b, MOTE_OP_MEAN, mins, 2, &mean, 1, &mo))
            goto fail;
        int32_t sins[2] = {out, mean};
        int32_t norm = mote_irb_tensor(&b, "features", MOTE_I8, 2, cd);
        if (norm < 0 || mote_irb_quant(&b, norm, 1, 0, &qp->cmn_scale, &z0) ||
            mote_irb_op(&b, MOTE_OP_SUB, sins, 2, &norm, 1, &o))
            goto fail;
        out = norm;
    }
    if (mote_irb_io(&b, &in, 1, &out, 1)) goto fail;
    char desc[160];
    snprintf(desc, sizeof desc, "mote audio front end: %d Hz, %d x %d ms frames every %d ms, %d mel bins%s%s%s",
             p->sample_rate, F, K * p->stride_ms, p->stride_ms, C, p->normalize ? ", normalized" : "",
             p->noise_reduction ? ", noise reduction" : "", p->normalize_features ? ", bin means subtracted" : "");
    if (!(g->description = strdup(desc))) {
        mote_irb_fail(&b, "out of memory");
        goto fail;
    }
    free(fb.w), free(fb.uw);
    return g;
fail:
    free(fb.w), free(fb.uw);
    mote_ir_free(g);
    return NULL;
}

/* The normalised features' scale: the largest |q - bin mean| of the int8 features over the training
 * examples, so it spans -127..127 (a few outliers clamp where the graph's rounded mean differs). */
static int fit_cmn(const fe_audio_params *p, const geometry *gm, float upper, const float *x, size_t n, quant *qp,
                   char *err, size_t errlen)
{
    fe_frontend *q8 = fe_alloc(FE_AUDIO);
    if (!q8) {
        snprintf(err, errlen, "audio front end: out of memory");
        return -1;
    }
    q8->raw = (size_t)gm->chunks * gm->stride;
    q8->raw_scale = 32768.0f;
    q8->feat = (tr_shape){3, {gm->frames, p->bins, 1}};
    q8->scale = qp->scale;
    q8->zp = -128;
    if (!(q8->graph = build(p, gm, upper, TO_INT8, qp, err, errlen)) || fe_finish(q8, err, errlen)) {
        fe_free(q8);
        return -1;
    }
    double worst = 1.0;
    const int F = gm->frames, C = p->bins;
    for (size_t i = 0; i < n; i++) {
        fe_to_int16(q8, x + i * q8->raw, q8->in);
        fe_run_raw(q8);
        for (int c = 0; c < C; c++) {
            double sum = 0;
            for (int f = 0; f < F; f++) sum += q8->out[f * C + c];
            double mean = sum / F;
            for (int f = 0; f < F; f++) worst = fmax(worst, fabs(q8->out[f * C + c] - mean));
        }
    }
    fe_free(q8);
    qp->cmn_scale = (float)(qp->scale * worst / 127.0);
    return 0;
}

fe_frontend *fe_audio_new(const fe_audio_params *p, const float *x, size_t n, char *err, size_t errlen)
{
    geometry gm;
    float upper;
    if (err && errlen) err[0] = 0;
    if (check(p, &gm, &upper, err, errlen)) return NULL;
    fe_frontend *fe = fe_alloc(FE_AUDIO), *raw = fe_alloc(FE_AUDIO);
    if (!fe || !raw) goto oom;
    fe->raw = raw->raw = (size_t)gm.chunks * gm.stride;
    fe->raw_scale = raw->raw_scale = 32768.0f;
    fe->feat = (tr_shape){3, {gm.frames, p->bins, 1}};
    raw->feat = (tr_shape){1, {gm.frames * p->bins * 2}}; /* int16 bytes, as the finish check counts */
    /* the int8 range: the log features of the training data (0: silence, the floor) */
    float hi = 16.0f; /* ln(2^23): a loud full-band signal, when there is no data to fit */
    quant qp;
    if (n > 0) {
        if (!(raw->graph = build(p, &gm, upper, TO_LOG, NULL, err, errlen)) || fe_finish(raw, err, errlen)) goto fail;
        int16_t mx = 1;
        size_t nf = (size_t)gm.frames * p->bins;
        for (size_t i = 0; i < n; i++) {
            fe_to_int16(raw, x + i * raw->raw, raw->in);
            fe_run_raw(raw);
            const int16_t *v = (const int16_t *)(void *)raw->out;
            for (size_t k = 0; k < nf; k++)
                if (v[k] > mx) mx = v[k];
        }
        hi = (float)mx / LOG_SCALE;
    }
    qp.scale = hi / 255.0f;
    qp.cmn_scale = 2.0f * qp.scale; /* q - mean spans -255..255 at most */
    fe->scale = qp.scale;
    fe->zp = -128; /* real 0 (silence) is q = -128 */
    if (p->normalize_features) {
        if (n > 0 && fit_cmn(p, &gm, upper, x, n, &qp, err, errlen)) goto fail;
        fe->scale = qp.cmn_scale;
        fe->zp = 0; /* real 0 is the bin's mean */
    }
    if (!(fe->graph = build(p, &gm, upper, p->normalize_features ? TO_NORMALIZED : TO_INT8, &qp, err, errlen)) ||
        fe_finish(fe, err, errlen))
        goto fail;
    fe_free(raw);
    return fe;
oom:
    snprintf(err, errlen, "audio front end: out of memory");
fail:
    fe_free(raw);
    fe_free(fe);
    return NULL;
}
