/* SignalRfft, int16 (TFLM signal library): real FFT with the integer results
 * of KISS FFT built with FIXED_POINT=16, which TFLM uses.
 *
 * KISS FFT's arithmetic, reproduced here:
 *  - a real FFT of length N packs the input as N/2 complex points, runs a
 *    complex FFT of length N/2, then splits the spectrum with "super
 *    twiddles";
 *  - the complex FFT is mixed radix (radix 4 first, then 2), decimation in
 *    time; every butterfly first divides its inputs by the radix:
 *    x = (x * (32767 / radix) + 2^14) >> 15;
 *  - complex products round the same way: (ar*br - ai*bi + 2^14) >> 15;
 *  - sums and differences wrap to int16; halving is an arithmetic >> 1;
 *  - twiddles are floor(0.5 + 32767 * cos/sin(phase)) computed in double.
 * KISS FFT recurses; here the same schedule runs as an explicit digit-reversed
 * copy followed by the butterfly stages from the innermost one outwards.
 * Only power-of-two lengths (radix 4 and 2 stages) are supported. */
#include <math.h>
#include <string.h>

#include "mote/signal.h"
#include "signal_rfft_common.h"

static inline void fixdiv(cpx16 *c, int32_t k)
{
    c->r = sround((int32_t)c->r * (32767 / k));
    c->i = sround((int32_t)c->i * (32767 / k));
}

static inline cpx16 cmul(cpx16 a, cpx16 b)
{
    cpx16 m;
    m.r = sround((int32_t)a.r * b.r - (int32_t)a.i * b.i);
    m.i = sround((int32_t)a.r * b.i + (int32_t)a.i * b.r);
    return m;
}

static void bfly2(cpx16 *f, int32_t fstride, const cpx16 *tw, int32_t m)
{
    for (int32_t k = 0; k < m; k++) {
        cpx16 *a = &f[k], *b = &f[k + m];
        fixdiv(a, 2);
        fixdiv(b, 2);
        cpx16 t = cmul(*b, tw[k * fstride]);
        b->r = wrap16(a->r - t.r);
        b->i = wrap16(a->i - t.i);
        a->r = wrap16(a->r + t.r);
        a->i = wrap16(a->i + t.i);
    }
}

static void bfly4(cpx16 *f, int32_t fstride, const cpx16 *tw, int32_t m)
{
    for (int32_t k = 0; k < m; k++) {
        cpx16 *f0 = &f[k], *f1 = &f[k + m], *f2 = &f[k + 2 * m], *f3 = &f[k + 3 * m];
        fixdiv(f0, 4);
        fixdiv(f1, 4);
        fixdiv(f2, 4);
        fixdiv(f3, 4);
        cpx16 s0 = cmul(*f1, tw[k * fstride]);
        cpx16 s1 = cmul(*f2, tw[2 * k * fstride]);
        cpx16 s2 = cmul(*f3, tw[3 * k * fstride]);
        cpx16 s3, s4, s5;
        s5.r = wrap16(f0->r - s1.r);
        s5.i = wrap16(f0->i - s1.i);
        f0->r = wrap16(f0->r + s1.r);
        f0->i = wrap16(f0->i + s1.i);
        s3.r = wrap16(s0.r + s2.r);
        s3.i = wrap16(s0.i + s2.i);
        s4.r = wrap16(s0.r - s2.r);
        s4.i = wrap16(s0.i - s2.i);
        f2->r = wrap16(f0->r - s3.r);
        f2->i = wrap16(f0->i - s3.i);
        f0->r = wrap16(f0->r + s3.r);
        f0->i = wrap16(f0->i + s3.i);
        f1->r = wrap16(s5.r + s4.i);
        f1->i = wrap16(s5.i - s4.r);
        f3->r = wrap16(s5.r - s4.i);
        f3->i = wrap16(s5.i + s4.r);
    }
}

/* Complex FFT of d->ncfft points from `in` to `out` (distinct buffers). */
static void cfft(const rfft_data *d, const cpx16 *in, cpx16 *out)
{
    const int32_t n = d->ncfft, ns = d->n_stages;
    int32_t digit[RFFT_MAX_STAGES] = {0};
    /* Leaf copies: output slot sum(q_s * span_s) takes input sum(q_s * stride_s),
     * stride_s = product of the radices before stage s. Walk the digits as an
     * odometer, last stage fastest (output order). */
    for (int32_t o = 0; o < n; o++) {
        int32_t src = 0, stride = 1;
        for (int32_t s = 0; s < ns; s++) {
            src += digit[s] * stride;
            stride *= d->radix[s];
        }
        out[o] = in[src];
        for (int32_t s = ns - 1; s >= 0; s--) {
            if (++digit[s] < d->radix[s]) break;
            digit[s] = 0;
        }
    }
    /* Butterflies, innermost stage first. */
    int32_t fstride = n;
    for (int32_t s = ns - 1; s >= 0; s--) {
        const int32_t p = d->radix[s], m = d->span[s];
        fstride /= p;
        for (int32_t base = 0; base < n; base += p * m) {
            if (p == 4)
                bfly4(out + base, fstride, rfft_tw(d), m);
            else
                bfly2(out + base, fstride, rfft_tw(d), m);
        }
    }
}

static void rfft_frame(const rfft_data *d, const int16_t *x, cpx16 *tmp, cpx16 *y)
{
    const int32_t n = d->ncfft;
    cfft(d, (const cpx16 *)(const void *)x, tmp);
    cpx16 dc = tmp[0];
    fixdiv(&dc, 2);
    y[0].r = wrap16(dc.r + dc.i);
    y[n].r = wrap16(dc.r - dc.i);
    y[0].i = 0;
    y[n].i = 0;
    for (int32_t k = 1; k <= n / 2; k++) {
        cpx16 fpk = tmp[k], fpnk;
        fpnk.r = tmp[n - k].r;
        fpnk.i = wrap16(-(int32_t)tmp[n - k].i);
        fixdiv(&fpk, 2);
        fixdiv(&fpnk, 2);
        cpx16 f1k, f2k;
        f1k.r = wrap16(fpk.r + fpnk.r);
        f1k.i = wrap16(fpk.i + fpnk.i);
        f2k.r = wrap16(fpk.r - fpnk.r);
        f2k.i = wrap16(fpk.i - fpnk.i);
        cpx16 tw = cmul(f2k, rfft_super_tw(d)[k - 1]);
        y[k].r = wrap16((f1k.r + tw.r) >> 1);
        y[k].i = wrap16((f1k.i + tw.i) >> 1);
        y[n - k].r = wrap16((f1k.r - tw.r) >> 1);
        y[n - k].i = wrap16((tw.i - f1k.i) >> 1);
    }
}

void mote_signal_rfft_eval(const mote_node *n, const mote_tensor *t)
{
    const rfft_data *d = (const rfft_data *)n->data;
    const int16_t *x = (const int16_t *)mote_in(n, t, 0)->data;
    cpx16 *y = (cpx16 *)mote_out(n, t, 0)->data;
    int16_t *work = (int16_t *)n->scratch;
    cpx16 *tmp = (cpx16 *)(void *)(work + d->fft_length);
    for (int32_t i = 0, o = 0; i < d->in_size; i += d->in_len, o += d->out_len) {
        memcpy(work, x + i, (size_t)d->in_len * sizeof(int16_t));
        memset(work + d->in_len, 0, (size_t)(d->fft_length - d->in_len) * sizeof(int16_t));
        rfft_frame(d, work, tmp, y + o);
    }
}

static int16_t twiddle_part(double v)
{
    return (int16_t)floor(0.5 + 32767.0 * v);
}

static mote_status rfft_prepare(mote_ctx *ctx, mote_node *n, mote_tensor *t)
{
    if (n->n_in != 1 || n->n_out != 1) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalRfft needs 1 input and 1 output");
    const mote_tensor *in = mote_in(n, t, 0), *out = mote_out(n, t, 0);
    if (!in) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalRfft input missing");
    if (n->opts.n_iparams < MOTE_SIG_RFFT_N) return mote_fail(ctx, MOTE_ERR_PARAM, -1, "SignalRfft options missing (fft_length, T)");
    if (n->opts.iparams[MOTE_SIG_RFFT_T] != 7) return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, n->io[0], "SignalRfft: only T=int16 is supported");
    if (in->type != MOTE_I16 || out->type != MOTE_I16) return mote_fail(ctx, MOTE_ERR_TYPE, n->io[0], "SignalRfft input and output must be int16");
    if (in->rank < 1 || in->rank != out->rank) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "SignalRfft input and output ranks differ");
    const int32_t len = n->opts.iparams[MOTE_SIG_RFFT_FFT_LENGTH];
    if (len < 4 || len > (1 << 20) || (len & (len - 1)) != 0)
        return mote_fail(ctx, MOTE_ERR_UNSUPPORTED, -1, "SignalRfft: fft_length must be a power of two >= 4");
    const int32_t in_len = mote_dim(in, -1), out_last = mote_dim(out, -1);
    if (in_len < 1 || in_len > len) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[0], "SignalRfft input frame longer than fft_length");
    if (out_last != 2 * (len / 2 + 1)) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "SignalRfft output last dim must be fft_length + 2");
    for (int i = 0; i + 1 < in->rank; i++)
        if (in->dims[i] != out->dims[i]) return mote_fail(ctx, MOTE_ERR_SHAPE, n->io[1], "SignalRfft output outer dims differ from input");

    const int32_t ncfft = len / 2;
    rfft_data *d = (rfft_data *)mote_node_data(ctx, n, rfft_data_bytes(ncfft));
    if (!d) return MOTE_ERR_ARENA;
    cpx16 *tw = (cpx16 *)(void *)(d + 1), *super_tw = tw + ncfft;
    d->fft_length = len;
    d->ncfft = ncfft;
    d->in_len = in_len;
    d->in_size = (int32_t)mote_tensor_elems(in);
    d->out_len = len / 2 + 1;

    /* KISS FFT factorisation: radix 4 while possible, then 2. */
    int32_t rest = ncfft, ns = 0;
    while (rest > 1) {
        int32_t p = (rest % 4 == 0) ? 4 : 2;
        rest /= p;
        d->radix[ns] = p;
        d->span[ns] = rest;
        ns++;
    }
    d->n_stages = ns;

    const double pi = 3.141592653589793238462643383279502884197169399375105820974944;
    for (int32_t i = 0; i < ncfft; i++) {
        double phase = -2 * pi * i / ncfft;
        tw[i].r = twiddle_part(cos(phase));
        tw[i].i = twiddle_part(sin(phase));
    }
    for (int32_t i = 0; i < ncfft / 2; i++) {
        double phase = -3.14159265358979323846264338327 * ((double)(i + 1) / ncfft + .5);
        super_tw[i].r = twiddle_part(cos(phase));
        super_tw[i].i = twiddle_part(sin(phase));
    }
    n->scratch_bytes = (size_t)len * 2 * sizeof(int16_t);
    n->eval = mote_signal_rfft_eval;
    if (ctx->isa & MOTE_ISA_REFERENCE) return MOTE_OK;
    return mote_signal_rfft_opt_choose(ctx, n);
}

static const mote_kernel signal_rfft_kernels[] = {
    MOTE_KERNEL("signal_rfft", mote_signal_rfft_eval),
    MOTE_KERNEL("signal_rfft_opt", mote_signal_rfft_opt_eval),
};

const mote_op_def mote_op_signal_rfft = {rfft_prepare, MOTE_KERNELS(signal_rfft_kernels)};
