/* mote bench: instructions per inference and per layer of a compiled model on
 * its target (exact guest instructions under QEMU, callgrind on the host),
 * host wall-clock time, MACs per instruction and the ratios against the
 * TFLM anchors. Numbers are reported only when the outputs are bit-exact. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "cli.h"
#include "driver/compile_job.h"
#include "device_run.h"
#include "mote/kernel.h"

#define DEFAULT_RUNS 50

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote bench MODEL --target PROFILE [--runs N] [--kernels opt|ref]\n"
            "                  [--optimize speed|memory|balanced] [--svg FILE] [--json]\n"
            "                  [--inputs DIR|FILE] [--work DIR]\n\n"
            "Builds MODEL for PROFILE as `mote verify` does (generated C), runs it on the profile's\n"
            "emulator over the input vectors and checks every output byte against the host runtime\n"
            "and the golden outputs; then reports, per layer, the op, the kernel variant, MACs,\n"
            "instructions, MACs per instruction and share of the inference, and in total the\n"
            "instructions per inference (median over the vectors: QEMU guest instructions for\n"
            "Cortex-M, callgrind instructions on the host), MACs per instruction and the ratio\n"
            "mote/TFLM against <shared>/anchors/anchors.json (Cortex-M4: TFLM+CMSIS-NN and TFLM\n"
            "reference kernels; host: TFLM reference and CMSIS-NN C). Per-layer counts come from a\n"
            "second build with a mark call before each layer, run on the first two vectors (the\n"
            "second one counts: the first invoke on the host pays one-time costs): the layers and\n"
            "the part outside them add up to that invoke's count, which exceeds the total by the\n"
            "marks' cost. On the host target it also times the host runtime (wall clock).\n\n"
            "  --target P      device profile (mote targets); its emulator must be QEMU or native\n"
            "  --runs N        host target: timed inferences after warm-up (default %d); the\n"
            "                  median is reported, per layer and in total. Ignored under QEMU, whose\n"
            "                  counts are exact and the same on every run\n"
            "  --weights W     auto (default): FULLY_CONNECTED and CONV_2D int8 weights stored sparse where\n"
            "                  that is smaller (docs/pruning.md); dense: every weight dense\n"
            "  --kernels K     opt: the fastest kernels for the profile (default); ref: reference ones\n"
            MOTE_OPTIMIZE_HELP
            "  --svg FILE      write a bar chart of the layers (instructions; host: ns) as SVG\n"
            "  --json          one JSON object: model, target, kernels, total_instructions, macs,\n"
            "                  macs_per_instruction, anchors (ratio = mote/anchor), layers[...]\n"
            "  --inputs X      a folder of in_NN.bin files (default <shared>/golden/<model>), or one\n"
            "                  file of vectors back to back; <shared> is $MOTE_SHARED or %s\n"
            "  --work DIR      keep the builds in DIR (default: a temporary folder, removed)\n"
            "Exit status: 0 measured and bit-exact, 1 mismatch or failure, 2 usage.\n",
            DEFAULT_RUNS, device_shared_dir());
}

/* Which anchors compare with a core, and how the table names them. */
static void load_anchors(bench_report *b, const char *core)
{
    static const struct {
        const char *core, *set, *key[2], *label[2];
    } sets[] = {
        {"cortex-m4f", "cortex_m4_qemu", {"tflm_cmsisnn_instructions", "tflm_ref_instructions"},
         {"TFLM+CMSIS-NN", "TFLM ref"}},
        {"x86_64", "x86_64_host", {"tflm_ref_instructions", "tflm_cmsisnn_c_instructions"},
         {"TFLM ref", "TFLM+CMSIS-NN C"}},
    };
    b->anchor_macs = -1;
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        if (strcmp(core, sets[s].core) != 0) continue;
        char path[DEVICE_PATH + 64];
        snprintf(path, sizeof path, "%s/anchors/anchors.json", device_shared_dir());
        json_error_t jerr;
        json_t *root = json_load_file(path, 0, &jerr);
        json_t *model = json_object_get(json_object_get(root, "models"), b->stem);
        json_t *set = json_object_get(model, sets[s].set);
        if (json_is_integer(json_object_get(model, "macs")))
            b->anchor_macs = (int64_t)json_integer_value(json_object_get(model, "macs"));
        for (int i = 0; i < 2; i++) {
            json_t *v = json_object_get(set, sets[s].key[i]);
            if (!json_is_integer(v) || json_integer_value(v) <= 0) continue;
            bench_anchor *a = &b->anchors[b->n_anchors++];
            a->key = sets[s].key[i];
            a->label = sets[s].label[i];
            a->insns = (uint64_t)json_integer_value(v);
        }
        if (b->n_anchors) b->anchor_set = sets[s].set;
        json_decref(root);
    }
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void set_inputs(mote_host_model *hm, const uint8_t *in)
{
    mote_model *m = &hm->m;
    for (int32_t i = 0; i < m->n_inputs; i++) {
        mote_tensor *t = &m->tensors[m->inputs[i]];
        if (t->bytes) memcpy(t->data, in, t->bytes);
        in += t->bytes;
    }
}

/* Median wall-clock ns of whole inferences, and of every layer timed alone
 * inside full inferences (so each layer reads real activations). */
static int time_host(mote_host_model *hm, const uint8_t *in, size_t out_bytes, int runs, bench_report *b)
{
    mote_model *m = &hm->m;
    size_t n = (size_t)m->n_nodes;
    double *t = malloc(sizeof *t * (size_t)runs * (n + 1));
    uint8_t *out = malloc(out_bytes + 1);
    if (!t || !out) {
        free(t);
        free(out);
        fprintf(stderr, "mote bench: out of memory\n");
        return -1;
    }
    for (int w = 0; w < 3 + runs / 10; w++) mote_host_run(hm, in, out);
    for (int r = 0; r < runs; r++) {
        set_inputs(hm, in);
        double t0 = now_ns();
        mote_invoke(m);
        t[r] = now_ns() - t0;
    }
    b->ns_total = median(t, runs);
    for (int r = 0; r < runs; r++) {
        set_inputs(hm, in);
        for (size_t k = 0; k < n; k++) {
            double t0 = now_ns();
            mote_invoke_range(m, (int32_t)k, (int32_t)k + 1);
            t[(k + 1) * (size_t)runs + (size_t)r] = now_ns() - t0;
        }
    }
    for (size_t k = 0; k < n && k < b->n_layers; k++) b->layers[k].ns = median(t + (k + 1) * (size_t)runs, runs);
    free(t);
    free(out);
    b->runs = runs;
    return 0;
}

/* A run counts only when every output equals the host runtime's and the golden ones. */
static int check_run(const device_session *s, const device_result *rr, const char *what)
{
    if (rr->bit_exact && rr->golden_equal == rr->golden_checked) return 0;
    char stem[256];
    compile_model_stem(s->job->model_path, stem, sizeof stem);
    if (!rr->bit_exact)
        fprintf(stderr, "mote bench: %s on %s (%s): outputs differ from the host runtime on %zu of %zu vectors; "
                        "no numbers reported\n", stem, s->job->prof.name, what, rr->mismatched, rr->r.n_vectors);
    else
        fprintf(stderr, "mote bench: %s on %s (%s): outputs differ from the golden ones on %zu of %zu vectors; "
                        "no numbers reported\n", stem, s->job->prof.name, what, rr->golden_checked - rr->golden_equal,
                rr->golden_checked);
    return -1;
}

static int fill_layers(const compile_job *j, const device_result *marked, bench_report *b)
{
    const mote_model *m = &j->hm->m;
    if (marked->r.n_layers != (size_t)m->n_nodes || marked->r.n_vectors == 0) {
        fprintf(stderr, "mote bench: %s: %zu layer counts for %d nodes\n", j->model_path, marked->r.n_layers,
                (int)m->n_nodes);
        return -1;
    }
    b->n_layers = (size_t)m->n_nodes;
    b->layers = calloc(b->n_layers ? b->n_layers : 1, sizeof *b->layers);
    if (!b->layers) return -1;
    for (size_t k = 0; k < b->n_layers; k++) {
        const mote_node *node = &m->nodes[k];
        const mote_op_def *def = mote_op_lookup((mote_op)node->op);
        bench_layer *l = &b->layers[k];
        l->op = mote_op_name((mote_op)node->op);
        l->kernel = def && node->kernel < def->n_kernels ? def->kernels[node->kernel].name : "?";
        l->macs = mote_ir_stats(j->hm->g, j->hm->plan.order[k]).macs;
        l->insns = marked->r.layer_insns[k];
        l->ns = -1;
        b->macs += l->macs;
        b->layers_sum += l->insns;
    }
    b->marked_total = marked->r.insns[marked->r.n_vectors - 1];
    return 0;
}

typedef struct {
    const char *model, *target, *inputs, *work, *svg;
    int runs, json;
    compile_kernels kernels;
} bench_args;

static int parse_args(int argc, char **argv, bench_args *a)
{
    memset(a, 0, sizeof *a);
    a->runs = DEFAULT_RUNS;
    int kr;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(s, "--json")) a->json = 1;
        else if ((!strcmp(s, "--target") || !strcmp(s, "-t")) && more) a->target = argv[++i];
        else if (!strcmp(s, "--inputs") && more) a->inputs = argv[++i];
        else if (!strcmp(s, "--work") && more) a->work = argv[++i];
        else if (!strcmp(s, "--svg") && more) a->svg = argv[++i];
        else if (!strcmp(s, "--runs") && more) {
            long v = cli_parse_count("--runs", argv[++i]);
            if (v < 0) return -1;
            if (v > 1000000) {
                fprintf(stderr, "mote bench: --runs %ld is more than 1000000\n", v);
                return -1;
            }
            a->runs = (int)v;
        } else if ((kr = compile_parse_kernel_option("bench", argc, argv, &i, &a->kernels)) != 0) {
            if (kr < 0) return -1;
        } else if (s[0] == '-') {
            fprintf(stderr, "mote bench: unknown or incomplete option '%s' (see --help)\n", s);
            return -1;
        } else if (!a->model) a->model = s;
        else {
            fprintf(stderr, "mote bench: one model only ('%s')\n", s);
            return -1;
        }
    }
    if (!a->model || !a->target) {
        fprintf(stderr, "mote bench: needs MODEL and --target PROFILE (see --help)\n");
        return -1;
    }
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    bench_args a;
    if (parse_args(argc, argv, &a) != 0) return 2;
    compile_job j;
    if (compile_job_open(&j, a.model, a.target, &a.kernels) != 0) return 1;
    bench_report b;
    memset(&b, 0, sizeof b);
    b.model = a.model;
    b.target = j.prof.name;
    b.core = mote_core_name(j.prof.core);
    b.kernels = a.kernels.reference ? "ref" : "opt";
    b.host = !strcmp(j.prof.emulator, "native");
    compile_model_stem(a.model, b.stem, sizeof b.stem);
    device_session ses;
    device_result clean, marked;
    memset(&clean, 0, sizeof clean);
    memset(&marked, 0, sizeof marked);
    int rc = device_session_open(&ses, "mote bench", &j, a.inputs, a.work) == 0 ? 0 : 1;
    /* the total as `mote verify` measures it, over every vector; the layers on the second */
    if (rc == 0 && (device_run(&ses, FORMAT_C, "c", 0, 0, &clean) != 0 || check_run(&ses, &clean, "c") != 0)) rc = 1;
    if (rc == 0 && (device_run(&ses, FORMAT_C, "c-layers", 2, 1, &marked) != 0 ||
                    check_run(&ses, &marked, "c with layer marks") != 0))
        rc = 1;
    if (rc == 0 && fill_layers(&j, &marked, &b) != 0) rc = 1;
    if (rc == 0) {
        b.total = clean.insns;
        b.layer_vector = marked.r.n_vectors - 1;
        b.unmarked = clean.r.insns[b.layer_vector];
        b.vectors = clean.r.n_vectors;
        b.golden_equal = clean.golden_equal;
        b.golden_checked = clean.golden_checked;
        load_anchors(&b, b.core);
    }
    if (rc == 0 && b.host && time_host(j.hm, ses.in, ses.out_bytes, a.runs, &b) != 0) rc = 1;
    if (rc == 0 && a.svg && bench_write_svg(&b, a.svg) != 0) rc = 1;
    if (rc == 0) {
        if (a.json) bench_print_json(&b, stdout);
        else bench_print_table(&b, stdout);
    }
    free(b.layers);
    mote_fw_result_free(&clean.r);
    mote_fw_result_free(&marked.r);
    device_session_close(&ses);
    compile_job_close(&j);
    return rc;
}
