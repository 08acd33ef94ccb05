/* Latency estimate: parse targets/cost/<core>.cost files and apply their
 * per-kernel linear instruction models to a prepared model. The file format
 * and how the figures were fitted are in docs/cost-model.md. */
#include "target/cost.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/kernel.h"

#ifndef MOTE_TARGETS_DIR
#define MOTE_TARGETS_DIR "targets"
#endif

#define MAX_COST_FILE (1u << 20)

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Split a line in place into at most max whitespace-separated fields. */
static int split(char *s, char **f, int max)
{
    int n = 0;
    while (*s) {
        while (*s && isspace((unsigned char)*s)) *s++ = 0;
        if (!*s) break;
        if (n == max) return max + 1;
        f[n++] = s;
        while (*s && !isspace((unsigned char)*s)) s++;
    }
    return n;
}

/* A finite non-negative number; 0 ok. */
static int num(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && !*end && !errno && isfinite(*v) && *v >= 0 ? 0 : -1;
}

/* "A B C W POINTS RMS MAX" (f[0..6]) into k. Returns the bad field or NULL. */
static const char *kernel_fields(char **f, mote_cost_kernel *k)
{
    double pts;
    if (num(f[0], &k->a)) return "a (instructions per MAC) must be a number >= 0";
    if (num(f[1], &k->b)) return "b (instructions per output element) must be a number >= 0";
    if (num(f[2], &k->c)) return "c (instructions per call) must be a number >= 0";
    if (num(f[3], &k->w)) return "w (instructions per window position) must be a number >= 0";
    if (num(f[4], &pts) || pts != floor(pts) || pts > 1e9) return "points must be a whole number >= 0";
    if (num(f[5], &k->rms_pct)) return "rms_pct must be a number >= 0";
    if (num(f[6], &k->max_pct)) return "max_pct must be a number >= 0";
    k->points = (int)pts;
    return NULL;
}

static int core_known(const char *name)
{
    for (int c = 0; c < MOTE_CORE_COUNT; c++)
        if (!strcmp(name, mote_core_name((mote_core)c))) return 1;
    return 0;
}

void mote_cost_free(mote_cost_model *cm)
{
    free(cm->kernels);
    memset(cm, 0, sizeof *cm);
}

int mote_cost_parse(const char *text, const char *path, mote_cost_model *cm, char *err, size_t errlen)
{
    memset(cm, 0, sizeof *cm);
    snprintf(cm->path, sizeof cm->path, "%s", path);
    int have_core = 0, have_cpi = 0, have_invoke = 0, have_fallback = 0, line = 0;
    size_t cap = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char buf[512], *f[10];
        line++;
        if (len >= sizeof buf) {
            set_err(err, errlen, "%s:%d: line longer than %zu characters", path, line, sizeof buf - 1);
            goto fail;
        }
        memcpy(buf, p, len);
        buf[len] = 0;
        p = eol ? eol + 1 : p + len;
        char *hash = strchr(buf, '#');
        if (hash) *hash = 0;
        int n = split(buf, f, 9);
        if (n == 0) continue;
        const char *key = f[0], *bad = NULL;
        if (!strcmp(key, "core")) {
            if (have_core++) bad = "given twice";
            else if (n != 2) bad = "needs exactly one value";
            else if (!core_known(f[1])) bad = "unknown core (see mote targets)";
            else snprintf(cm->core, sizeof cm->core, "%s", f[1]);
        } else if (!strcmp(key, "cpi") || !strcmp(key, "invoke")) {
            int is_cpi = key[1] == 'p', *have = is_cpi ? &have_cpi : &have_invoke;
            if ((*have)++) bad = "given twice";
            else if (n != 2) bad = "needs exactly one value";
            else if (num(f[1], is_cpi ? &cm->cpi : &cm->invoke) || (is_cpi && cm->cpi <= 0))
                bad = is_cpi ? "must be a number > 0" : "must be a number >= 0";
        } else if (!strcmp(key, "fallback")) {
            if (have_fallback) bad = "given twice";
            else if (n != 8) bad = "needs A B C W POINTS RMS_PCT MAX_PCT";
            else if ((bad = kernel_fields(f + 1, &cm->fallback)) == NULL)
                snprintf(cm->fallback.name, sizeof cm->fallback.name, "fallback");
            have_fallback = 1;
        } else if (!strcmp(key, "kernel")) {
            mote_cost_kernel k = {0};
            if (n != 9) bad = "needs NAME A B C W POINTS RMS_PCT MAX_PCT";
            else if (strlen(f[1]) >= sizeof k.name) bad = "name too long";
            else bad = kernel_fields(f + 2, &k);
            for (size_t i = 0; !bad && i < cm->n_kernels; i++)
                if (!strcmp(cm->kernels[i].name, f[1])) bad = "kernel given twice";
            if (!bad) {
                snprintf(k.name, sizeof k.name, "%s", f[1]);
                if (cm->n_kernels == cap) {
                    cap = cap ? 2 * cap : 16;
                    mote_cost_kernel *nk = realloc(cm->kernels, cap * sizeof *nk);
                    if (!nk) {
                        set_err(err, errlen, "%s: out of memory", path);
                        goto fail;
                    }
                    cm->kernels = nk;
                }
                cm->kernels[cm->n_kernels++] = k;
            }
        } else {
            bad = "unknown key (core, cpi, invoke, fallback, kernel)";
        }
        if (bad) {
            set_err(err, errlen, "%s:%d: %s: %s", path, line, key, bad);
            goto fail;
        }
    }
    if (!have_core || !have_cpi || !have_invoke || !have_fallback) {
        set_err(err, errlen, "%s: missing '%s' line", path,
                !have_core ? "core" : !have_cpi ? "cpi" : !have_invoke ? "invoke" : "fallback");
        goto fail;
    }
    return 0;
fail:
    mote_cost_free(cm);
    return -1;
}

int mote_cost_load_file(const char *path, mote_cost_model *cm, char *err, size_t errlen)
{
    memset(cm, 0, sizeof *cm);
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *text = malloc(MAX_COST_FILE + 1);
    size_t len = text ? fread(text, 1, MAX_COST_FILE + 1, f) : 0;
    int rd_err = ferror(f);
    fclose(f);
    int rc = -1;
    if (!text) set_err(err, errlen, "%s: out of memory", path);
    else if (rd_err) set_err(err, errlen, "%s: read error", path);
    else if (len > MAX_COST_FILE) set_err(err, errlen, "%s: larger than %u bytes", path, MAX_COST_FILE);
    else if (memchr(text, 0, len)) set_err(err, errlen, "%s: not a text file (NUL byte)", path);
    else {
        text[len] = 0;
        rc = mote_cost_parse(text, path, cm, err, errlen);
    }
    free(text);
    return rc;
}

const char *mote_cost_dir(void)
{
    const char *env = getenv("MOTE_COST_DIR");
    return env && *env ? env : MOTE_TARGETS_DIR "/cost";
}

/* The measured core closest in instruction set and word size to each core. */
static mote_core nearest_measured(mote_core c)
{
    switch (c) {
    case MOTE_CORE_CORTEX_M0PLUS:
    case MOTE_CORE_CORTEX_M3:
    case MOTE_CORE_RISCV32IMC: return MOTE_CORE_CORTEX_M4F;
    case MOTE_CORE_CORTEX_M55: return MOTE_CORE_CORTEX_M33;
    case MOTE_CORE_AARCH64: return MOTE_CORE_X86_64;
    default: return c;
    }
}

int mote_cost_load_for(const mote_profile *p, mote_cost_model *cm, char *note, size_t notelen, char *err,
                       size_t errlen)
{
    mote_core use = nearest_measured(p->core);
    const char *want = mote_core_name(use);
    char path[1024];
    if (notelen) note[0] = 0;
    if (!want) {
        set_err(err, errlen, "%s: no core", p->name);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.cost", mote_cost_dir(), want);
    if (mote_cost_load_file(path, cm, err, errlen) != 0) return -1;
    if (strcmp(cm->core, want) != 0) {
        set_err(err, errlen, "%s: says core %s, expected %s", path, cm->core, want);
        mote_cost_free(cm);
        return -1;
    }
    if (use != p->core)
        snprintf(note, notelen, "no cost data for %s: using %s figures (a rough guide only)", mote_core_name(p->core),
                 want);
    return 0;
}

static int64_t out_elems(const mote_node *n, const mote_tensor *t)
{
    int64_t e = 0;
    for (int i = 0; i < n->n_out; i++) e += mote_tensor_elems(mote_out(n, t, i));
    return e;
}

/* Filter taps that land inside the input along one axis, summed over the
 * outputs: the kernels skip the padding. Padding as TFLite (and the kernels)
 * place it: half the total in front, the odd pixel at the end. */
static int64_t inside_1d(int32_t in, int32_t out, int32_t k, int32_t stride, int32_t dil, int same)
{
    if (stride < 1) stride = 1;
    if (dil < 1) dil = 1;
    int64_t total = (int64_t)(out - 1) * stride + (int64_t)(k - 1) * dil + 1 - in;
    int64_t pad = same && total > 0 ? total / 2 : 0, n = 0;
    for (int64_t o = 0; o < out; o++)
        for (int64_t f = 0; f < k; f++) {
            int64_t i = o * stride - pad + f * dil;
            n += i >= 0 && i < in;
        }
    return n;
}

/* Window positions the kernel visits inside the input, over all output
 * elements (conv, depthwise, pooling); 0 for ops without a sliding window. */
static int64_t window_of(const mote_node *n, const mote_tensor *t)
{
    const mote_tensor *in = mote_in(n, t, 0), *w = mote_in(n, t, 1);
    const mote_tensor *out = n->n_out ? mote_out(n, t, 0) : NULL;
    const mote_opts *o = &n->opts;
    int32_t kh, kw, dh = o->dilation_h, dw = o->dilation_w;
    switch ((mote_op)n->op) {
    case MOTE_OP_CONV_2D:
    case MOTE_OP_DEPTHWISE_CONV_2D:
        if (!w || w->rank != 4) return 0;
        kh = w->dims[1], kw = w->dims[2];
        break;
    case MOTE_OP_AVERAGE_POOL_2D:
    case MOTE_OP_MAX_POOL_2D:
        kh = o->filter_h, kw = o->filter_w, dh = dw = 1;
        break;
    default: return 0;
    }
    if (!in || !out || in->rank != 4 || out->rank != 4) return 0;
    int same = o->padding == MOTE_PAD_SAME;
    return (int64_t)out->dims[0] * out->dims[3] * inside_1d(in->dims[1], out->dims[1], kh, o->stride_h, dh, same) *
           inside_1d(in->dims[2], out->dims[2], kw, o->stride_w, dw, same);
}

/* Multiply-accumulates the kernel executes. Conv and depthwise skip the
 * padding, so this is below mote_ir_stats' figure (which counts every tap)
 * for SAME-padded layers: executed MACs predict instructions far better. */
static int64_t node_macs(const mote_node *n, const mote_tensor *t, int64_t taps)
{
    const mote_tensor *in = mote_in(n, t, 0), *w = mote_in(n, t, 1);
    int64_t out = n->n_out ? mote_tensor_elems(mote_out(n, t, 0)) : 0;
    switch ((mote_op)n->op) {
    case MOTE_OP_CONV_2D:
        /* sparse filters: one MAC per stored entry and output element (padding taps included) */
        if (w && w->rank == 4 && w->type == MOTE_I8_SPARSE && w->dims[0] > 0)
            return out / w->dims[0] * (int64_t)((w->bytes - 2 * (size_t)w->dims[0]) / 2);
        return w && w->rank == 4 ? taps * w->dims[3] : 0;
    case MOTE_OP_DEPTHWISE_CONV_2D: return taps;
    case MOTE_OP_FULLY_CONNECTED:
        /* sparse weights: the kernel executes one MAC per stored entry (mote/sparse.h) */
        if (w && w->rank == 2 && w->type == MOTE_I8_SPARSE && w->dims[0] > 0)
            return out / w->dims[0] * (int64_t)((w->bytes - 2 * (size_t)w->dims[0]) / 2);
        return w && w->rank == 2 ? out * w->dims[1] : 0;
    case MOTE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM: /* as mote_ir_stats: 4 gates, input + recurrent products */
        if (in && in->rank == 3 && w && w->rank == 2)
            return (int64_t)in->dims[0] * in->dims[1] * 4 * w->dims[0] * (in->dims[2] + w->dims[0]);
        return 0;
    default: return 0;
    }
}

void mote_cost_describe(const mote_node *n, const mote_tensor *tensors, mote_cost_node *out)
{
    const mote_op_def *def = mote_op_lookup((mote_op)n->op);
    memset(out, 0, sizeof *out);
    out->kernel = def && n->kernel < def->n_kernels ? def->kernels[n->kernel].name : "?";
    out->window = window_of(n, tensors);
    out->macs = node_macs(n, tensors, out->window);
    out->out_elems = out_elems(n, tensors);
}

double mote_cost_kernel_insns(const mote_cost_model *cm, const char *kernel, int64_t macs, int64_t out_elems,
                              int64_t window, int *known)
{
    const mote_cost_kernel *k = &cm->fallback;
    for (size_t i = 0; i < cm->n_kernels; i++)
        if (!strcmp(cm->kernels[i].name, kernel)) k = &cm->kernels[i];
    if (known) *known = k != &cm->fallback;
    return k->a * (double)macs + k->b * (double)out_elems + k->c + k->w * (double)window;
}

double mote_cost_estimate(const mote_cost_model *cm, const mote_model *m, mote_cost_node *per_node)
{
    double total = cm->invoke;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        mote_cost_node cn;
        mote_cost_describe(&m->nodes[i], m->tensors, &cn);
        cn.insns = mote_cost_kernel_insns(cm, cn.kernel, cn.macs, cn.out_elems, cn.window, &cn.known);
        total += cn.insns;
        if (per_node) per_node[i] = cn;
    }
    return total;
}

double mote_cost_ms(const mote_cost_model *cm, double insns, unsigned clock_mhz)
{
    return clock_mhz ? insns * cm->cpi / ((double)clock_mhz * 1e3) : 0.0;
}
