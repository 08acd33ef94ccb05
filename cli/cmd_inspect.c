/* mote inspect: per-op table (type, shapes, MACs, bytes) and totals; with
 * --target, also a latency estimate per op and whether the model fits. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "driver/compile_job.h"
#include "driver/inspect_json.h"
#include "host_model.h"
#include "target/cost.h"
#include "import/import.h"

static void help(FILE *f)
{
    fprintf(f, "usage: mote inspect MODEL [--target PROFILE] [--kernels opt|ref]\n"
               "                    [--optimize speed|memory|balanced] [--json]\n\n"
               "Prints every operator of MODEL (.tflite): type, input and output shapes, MACs,\n"
               "parameter bytes (constant inputs) and activation bytes (other inputs + outputs),\n"
               "then totals and the arena mote plans for it.\n\n"
               "  --target P  also estimate, per op and in total, the instructions and milliseconds\n"
               "              of one inference of the generated C package on profile P (a linear\n"
               "              model per kernel fitted on QEMU/callgrind counts times an assumed\n"
               "              cycles-per-instruction figure: an estimate, docs/cost-model.md), and\n"
               "              say whether the C package and the .mote file fit P's RAM and flash.\n"
               "              Ops marked * use the fallback figure (no data for their kernel).\n"
               "  --kernels K opt: the fastest kernels for the profile (default; without --target,\n"
               "              for this machine); ref: the reference kernels. The arena, and with\n"
               "              --target the fit and the estimate, are those of these kernels (as\n"
               "              mote compile/verify --kernels K build them)\n"
               "  --weights W auto (default): FULLY_CONNECTED and CONV_2D int8 weights stored sparse\n"
               "              where that is smaller (docs/pruning.md); dense: every weight dense\n"
               "  --optimize O with --target, the per-layer choice between speed and arena bytes\n"
               "              as mote compile makes it (see mote compile --help; default balanced)\n"
               "  --json      one JSON object (\"kernels\": \"opt\" or \"ref\"); with --target adds\n"
               "              \"target\", \"fit\" and \"estimate\"\n"
               "Exit status: 0 when the report was printed, even if the model does not fit\n"
               "(inspect reports; mote compile refuses); 1 on a bad model or profile; 2 usage.\n");
}

static void shape_str(const mote_tensor *t, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "%s[", mote_dtype_name((mote_dtype)t->type));
    for (int d = 0; d < t->rank && n < len; d++)
        n += (size_t)snprintf(buf + n, len - n, d ? ",%d" : "%d", (int)t->dims[d]);
    if (n < len) snprintf(buf + n, len - n, "]");
}

static const char *op_label(const mote_ir_op *op)
{
    return op->custom_code ? op->custom_code : mote_op_name(op->op);
}

/* --target: the job (prepared model, profile, footprints) and the estimate. */
typedef struct {
    compile_job j;
    mote_cost_model cm;
    int have_cost, n_fallback, reference;
    char note[256], cost_err[768];
    mote_cost_node *nodes; /* per node, execution order */
    int32_t *node_of_op;   /* IR op index -> node index, -1 if none */
    double total;
} target_view;

static int target_open(target_view *t, const char *model, const char *target, const compile_kernels *k,
                       int32_t n_ops)
{
    memset(t, 0, sizeof *t);
    t->reference = k->reference;
    if (compile_job_open(&t->j, model, target, k) != 0) return -1;
    const mote_model *m = &t->j.hm->m;
    t->nodes = calloc((size_t)m->n_nodes + 1, sizeof *t->nodes);
    t->node_of_op = malloc(((size_t)n_ops + 1) * sizeof *t->node_of_op);
    if (!t->nodes || !t->node_of_op) {
        fprintf(stderr, "mote inspect: out of memory\n");
        return -1;
    }
    for (int32_t i = 0; i < n_ops; i++) t->node_of_op[i] = -1;
    for (int32_t k = 0; k < m->n_nodes; k++)
        if (t->j.hm->plan.order[k] >= 0 && t->j.hm->plan.order[k] < n_ops) t->node_of_op[t->j.hm->plan.order[k]] = k;
    /* A missing or broken cost file costs the estimate, not the fit report. */
    t->have_cost = mote_cost_load_for(&t->j.prof, &t->cm, t->note, sizeof t->note, t->cost_err,
                                      sizeof t->cost_err) == 0;
    if (t->have_cost) {
        t->total = mote_cost_estimate(&t->cm, m, t->nodes);
        for (int32_t k = 0; k < m->n_nodes; k++) t->n_fallback += !t->nodes[k].known;
    }
    return 0;
}

static void target_close(target_view *t)
{
    compile_job_close(&t->j);
    mote_cost_free(&t->cm);
    free(t->nodes);
    free(t->node_of_op);
}

static double target_ms(const target_view *t, double insns)
{
    return mote_cost_ms(&t->cm, insns, t->j.prof.clock_mhz);
}

/* The estimate columns of op i: instructions, ms, '*' for the fallback. */
static void print_op_estimate(const target_view *t, int32_t i)
{
    int32_t k = t->node_of_op[i];
    if (!t->have_cost || k < 0) {
        printf(" %14s %10s", "-", "-");
        return;
    }
    printf(" %14.0f %10.4f%s", t->nodes[k].insns, target_ms(t, t->nodes[k].insns), t->nodes[k].known ? "" : " *");
}

static void print_fit(const char *what, const compile_fit *fit)
{
    printf("fit (%s): %s%s\n", what, fit->fits ? "" : "DOES NOT FIT: ", fit->msg);
}

static void print_target(const target_view *t)
{
    const mote_profile *p = &t->j.prof;
    printf("target %s: %s, %s at %u MHz, %s kernels\n", p->name, p->board, mote_core_name(p->core), p->clock_mhz,
           t->reference ? "reference" : "optimized");
    if (t->have_cost) {
        printf("estimate (C package): %.0f instructions, about %.3f ms per inference (CPI %.2f assumed; %s)\n",
               t->total, target_ms(t, t->total), t->cm.cpi, t->cm.path);
        if (t->note[0]) printf("  note: %s\n", t->note);
        if (t->n_fallback)
            printf("  note: %d op(s) marked * have no figures for their kernel; fallback: %.3g/MAC + %.3g/output "
                   "+ %.3g/window position + %.3g per call\n",
                   t->n_fallback, t->cm.fallback.a, t->cm.fallback.b, t->cm.fallback.w, t->cm.fallback.c);
    } else {
        printf("estimate: none (%s)\n", t->cost_err);
    }
    print_fit("C package", &t->j.fit_c);
    print_fit(".mote file + interpreter", &t->j.fit_mote);
}

static json_t *fit_json(const mote_profile *p, const mote_footprint *f, const compile_fit *fit)
{
    const int ok = fit->fits;
    const char *msg = fit->msg;
    size_t stack = f->stack_bytes ? f->stack_bytes : p->stack_kb * 1024;
    return json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "fits", ok, "message", msg, "arena_bytes",
                     (json_int_t)f->arena_bytes, "static_ram_bytes", (json_int_t)f->static_ram_bytes, "stack_bytes",
                     (json_int_t)stack, "weights_bytes", (json_int_t)f->weights_bytes, "code_bytes",
                     (json_int_t)f->code_bytes, "ram_limit_bytes", (json_int_t)(p->ram_kb * 1024),
                     "flash_limit_bytes", (json_int_t)(p->flash_kb * 1024));
}

static json_int_t rounded(double insns)
{
    return (json_int_t)(insns + 0.5); /* estimates are >= 0 */
}

static void add_target_json(json_t *root, const target_view *t)
{
    const mote_profile *p = &t->j.prof;
    json_object_set_new(root, "target", json_string(p->name));
    json_object_set_new(root, "fit",
                        json_pack("{s:o, s:o}", "c", fit_json(p, &t->j.c, &t->j.fit_c), "mote",
                                  fit_json(p, &t->j.mote, &t->j.fit_mote)));
    if (!t->have_cost) {
        json_object_set_new(root, "estimate", json_null());
        json_object_set_new(root, "estimate_error", json_string(t->cost_err));
        return;
    }
    json_t *per = json_array();
    const mote_model *m = &t->j.hm->m;
    for (int32_t k = 0; k < m->n_nodes; k++) {
        const mote_cost_node *c = &t->nodes[k];
        json_t *o = json_pack("{s:i, s:i, s:s, s:s}", "layer", (int)k, "op", (int)t->j.hm->plan.order[k], "type",
                              mote_op_name((mote_op)m->nodes[k].op), "kernel", c->kernel);
        json_object_set_new(o, "executed_macs", json_integer((json_int_t)c->macs));
        json_object_set_new(o, "output_elements", json_integer((json_int_t)c->out_elems));
        json_object_set_new(o, "window_positions", json_integer((json_int_t)c->window));
        json_object_set_new(o, "instructions", json_integer(rounded(c->insns)));
        json_object_set_new(o, "ms", json_real(target_ms(t, c->insns)));
        json_object_set_new(o, "fallback", json_boolean(!c->known));
        json_array_append_new(per, o);
    }
    json_t *e = json_pack("{s:s, s:I, s:f, s:f, s:f, s:i, s:s, s:s, s:s, s:o}", "format", "c", "instructions",
                          rounded(t->total), "ms", target_ms(t, t->total), "cpi", t->cm.cpi, "invoke_instructions",
                          t->cm.invoke, "clock_mhz", (int)p->clock_mhz, "cost_core", t->cm.core, "cost_file",
                          t->cm.path, "note", t->note, "per_op", per);
    json_object_set_new(root, "estimate", e);
}

/* The human-readable report: one row per op, totals, arena, target view (tv may be NULL). */
static void print_table(const mote_ir_graph *g, const mote_host_model *hm, const char *rt_err, const char *model,
                        const target_view *tv)
{
    int64_t macs = 0, params = 0;
    printf("%s: %d ops, %d tensors%s%s\n", model, (int)g->n_ops, (int)g->n_tensors, g->description[0] ? ", " : "",
           g->description);
    printf("%4s  %-28s %-26s %-22s %12s %10s %10s", "op", "type", "inputs", "output", "MACs", "params",
           "act bytes");
    if (tv) printf(" %14s %10s", "est. insns", "est. ms");
    printf("\n");
    for (int32_t i = 0; i < g->n_ops; i++) {
        const mote_ir_op *op = &g->ops[i];
        mote_ir_op_stats s = mote_ir_stats(g, i);
        macs += s.macs;
        params += s.param_bytes;
        char ibuf[128] = "", obuf[64];
        size_t n = 0;
        for (int k = 0; k < op->n_in && n < sizeof ibuf; k++) {
            if (op->io[k] < 0 || (g->tensors[op->io[k]].t.flags & MOTE_TENSOR_CONST)) continue;
            char sb[64];
            shape_str(&g->tensors[op->io[k]].t, sb, sizeof sb);
            n += (size_t)snprintf(ibuf + n, sizeof ibuf - n, n ? " %s" : "%s", sb);
        }
        shape_str(&g->tensors[op->io[op->n_in]].t, obuf, sizeof obuf);
        printf("%4d  %-28s %-26s %-22s %12lld %10lld %10lld", (int)i, op_label(op), ibuf, obuf,
               (long long)s.macs, (long long)s.param_bytes, (long long)s.act_bytes);
        if (tv) print_op_estimate(tv, i);
        printf("\n");
    }
    printf("total: %lld MACs, %lld parameter bytes\n", (long long)macs, (long long)params);
    if (hm)
        printf("arena: %zu bytes (activations+scratch %zu, kernel data %zu)\n", hm->arena_bytes, hm->plan.arena_bytes,
               hm->persist_bytes);
    else
        printf("not runnable: %s\n", rt_err);
    if (tv) print_target(tv);
}

int cmd_inspect(int argc, char **argv)
{
    const char *model = NULL, *target = NULL;
    int as_json = 0, kr;
    compile_kernels kernels = {0, MOTE_OPTIMIZE_BALANCED};
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) as_json = 1;
        else if ((!strcmp(argv[i], "--target") || !strcmp(argv[i], "-t")) && i + 1 < argc) target = argv[++i];
        else if ((kr = compile_parse_kernel_option("inspect", argc, argv, &i, &kernels)) != 0) {
            if (kr < 0) return 2;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "mote inspect: unknown option %s\n", argv[i]);
            return 2;
        } else if (!model) model = argv[i];
        else {
            fprintf(stderr, "mote inspect: unexpected argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!model) {
        help(stderr);
        return 2;
    }
    char err[512];
    mote_ir_graph *g = mote_import_file(model, err, sizeof err);
    if (!g) {
        fprintf(stderr, "mote inspect: %s\n", err);
        return 1;
    }
    /* The runtime view (arena) needs a prepared model; keep the IR for the table.
     * With --target the compile job has prepared one already. */
    char rt_err[512] = "";
    target_view tv;
    mote_host_model *own_hm = NULL, *hm;
    if (target) {
        if (target_open(&tv, model, target, &kernels, g->n_ops) != 0) {
            target_close(&tv);
            mote_ir_free(g);
            return 1;
        }
        hm = tv.j.hm;
    } else {
        mote_ir_graph *g2 = mote_import_file(model, rt_err, sizeof rt_err);
        const uint32_t isa = kernels.reference ? MOTE_ISA_REFERENCE : mote_isa_host();
        hm = own_hm = g2 ? mote_host_model_new_isa(g2, model, isa, rt_err, sizeof rt_err) : NULL;
    }

    int rc = 0;
    if (as_json) {
        /* The same document the service shows for a model, plus the target view. */
        json_t *root = mote_inspect_json(g, hm, rt_err, model);
        char *s = NULL;
        if (root) json_object_set_new(root, "kernels", json_string(kernels.reference ? "ref" : "opt"));
        if (root && target) add_target_json(root, &tv);
        if (root) s = json_dumps(root, JSON_INDENT(2));
        if (s) puts(s);
        else {
            fprintf(stderr, "mote inspect: out of memory\n");
            rc = 1;
        }
        free(s);
        json_decref(root);
    } else {
        print_table(g, hm, rt_err, model, target ? &tv : NULL);
    }
    if (target) target_close(&tv);
    mote_host_model_free(own_hm);
    mote_ir_free(g);
    return rc;
}

