/* Reads the results of a firmware run from its work_dir: the harness summary
 * line, out.bin, and the instruction counts of the QEMU plugin (insns.log) or
 * of callgrind (one dump file per piece of an invoke). */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_util.h"

#define FW_PATH 4096

typedef struct {
    const char *work;
    char *err;
    size_t errlen;
    size_t marks;
} parse_ctx;

static int fail(parse_ctx *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

char *fw_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    char *b = n >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) b[n] = 0, *len = (size_t)n;
    return b;
}

static int summary(parse_ctx *p, mote_fw_result *res, size_t *out_bytes) {
    char path[FW_PATH];
    size_t len, in_b = 0, stack = 0, marks = 0, n = 0;
    snprintf(path, sizeof path, "%s/run.log", p->work);
    char *txt = fw_slurp(path, &len);
    const char *s = txt ? strstr(txt, "mote-fw: vectors ") : NULL;
    int ok = s && sscanf(s, "mote-fw: vectors %zu in_bytes %zu out_bytes %zu stack_bytes %zu marks %zu", &n, &in_b,
                         out_bytes, &stack, &marks) == 5;
    free(txt);
    if (!ok) return fail(p, "results: no 'mote-fw: vectors' summary line in %s", path);
    res->n_vectors = n, res->stack_bytes = stack, p->marks = marks;
    snprintf(path, sizeof path, "%s/out.bin", p->work);
    res->outputs = (uint8_t *)fw_slurp(path, &res->outputs_bytes);
    if (!res->outputs) return fail(p, "results: cannot read %s", path);
    if (res->outputs_bytes != n * *out_bytes)
        return fail(p, "results: %s has %zu bytes, expected %zu vectors x %zu", path, res->outputs_bytes, n, *out_bytes);
    if (!(res->insns = calloc(n ? n : 1, sizeof *res->insns))) return fail(p, "results: out of memory");
    return 0;
}

static int alloc_layers(parse_ctx *p, mote_fw_result *res) {
    if (p->marks < 2)
        return fail(p, "results: layer_counts set but the first invoke called MOTE_LAYER_MARK %zu times "
                       "(need one before each layer and one after the last)", p->marks);
    res->n_layers = p->marks - 1;
    res->layer_insns = calloc(res->n_layers, sizeof *res->layer_insns);
    return res->layer_insns ? 0 : fail(p, "results: out of memory");
}

/* insns.log: "region R insns N" and "region R layer K insns N" lines. */
static int parse_plugin(parse_ctx *p, int layer_counts, mote_fw_result *res) {
    char path[FW_PATH];
    size_t len, regions = 0, layers = 0;
    snprintf(path, sizeof path, "%s/insns.log", p->work);
    char *txt = fw_slurp(path, &len);
    if (!txt) return fail(p, "results: cannot read the plugin output %s", path);
    for (char *line = txt; *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        unsigned long long r, k, v;
        if (sscanf(line, "region %llu layer %llu insns %llu", &r, &k, &v) == 3) {
            if (layer_counts && r + 1 == res->n_vectors && k < res->n_layers) res->layer_insns[k] = v, layers++;
        } else if (sscanf(line, "region %llu insns %llu", &r, &v) == 2) {
            if (r != regions || r >= res->n_vectors) break;
            res->insns[regions++] = v;
        }
        line = nl ? nl + 1 : line + strlen(line);
    }
    free(txt);
    if (regions != res->n_vectors)
        return fail(p, "results: %s has %zu invoke counts for %zu vectors", path, regions, res->n_vectors);
    if (layer_counts && layers != res->n_layers)
        return fail(p, "results: %s has %zu layer counts for %zu layers", path, layers, res->n_layers);
    return 0;
}

static int cmp_num(const void *a, const void *b) {
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return (x > y) - (x < y);
}

/* callgrind.out.N, N = 1.. in dump order. Each holds "summary: IR" and a
 * "desc: Trigger:" line telling whether it ends an invoke or a layer piece. */
static int parse_callgrind(parse_ctx *p, int layer_counts, mote_fw_result *res) {
    DIR *d = opendir(p->work);
    if (!d) return fail(p, "results: cannot list %s", p->work);
    unsigned long *nums = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        if (strncmp(e->d_name, "callgrind.out.", 14) != 0) continue;
        unsigned long k = strtoul(e->d_name + 14, &end, 10);
        if (*end) continue;
        if (n == cap) {
            unsigned long *t = realloc(nums, (cap = cap ? 2 * cap : 64) * sizeof *nums);
            if (!t) break;
            nums = t;
        }
        nums[n++] = k;
    }
    closedir(d);
    if (n) qsort(nums, n, sizeof *nums, cmp_num);
    size_t vec = 0, piece = 0;
    uint64_t acc = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[FW_PATH];
        size_t len;
        unsigned long long ir = 0;
        snprintf(path, sizeof path, "%s/callgrind.out.%lu", p->work, nums[i]);
        char *txt = fw_slurp(path, &len);
        const char *sm = txt ? strstr(txt, "\nsummary: ") : NULL;
        const char *tr = txt ? strstr(txt, "\ndesc: Trigger: ") : NULL;
        if (!sm || !tr || sscanf(sm, "\nsummary: %llu", &ir) != 1) rc = fail(p, "results: cannot parse %s", path);
        else if (!strncmp(tr + 16, "--dump-after=mote_fw_invoke", 27)) {
            if (vec >= res->n_vectors) rc = fail(p, "results: more callgrind dumps than %zu vectors", res->n_vectors);
            else res->insns[vec++] = acc + ir;
            acc = 0, piece = 0;
        } else if (!strncmp(tr + 16, "--dump-before=mote_layer_mark", 29)) {
            /* piece 0 runs up to mark 0; piece k+1 is layer k (mark k up to mark k+1) */
            if (layer_counts && vec + 1 == res->n_vectors && piece >= 1 && piece - 1 < res->n_layers) res->layer_insns[piece - 1] = ir;
            acc += ir, piece++;
        } else if (ir != 0) {
            rc = fail(p, "results: unexpected callgrind dump %s with %llu instructions", path, ir);
        }
        free(txt);
        remove(path);
    }
    free(nums);
    if (rc == 0 && vec != res->n_vectors)
        rc = fail(p, "results: %zu callgrind invoke dumps for %zu vectors in %s", vec, res->n_vectors, p->work);
    return rc;
}

int fw_parse_results(const char *work, int host, int layer_counts, mote_fw_result *res, char *err, size_t errlen) {
    parse_ctx p = {work, err, errlen, 0};
    size_t out_bytes = 0;
    if (summary(&p, res, &out_bytes) != 0) return -1;
    if (layer_counts && alloc_layers(&p, res) != 0) return -1;
    return host ? parse_callgrind(&p, layer_counts, res) : parse_plugin(&p, layer_counts, res);
}
