/* mote plan: the arena plan of a model, op by op in execution order. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "driver/compile_job.h"
#include "mote/kernel.h"

static void help(FILE *f)
{
    fprintf(f, "usage: mote plan MODEL [--target PROFILE] [--kernels opt|ref]\n"
               "                 [--optimize speed|memory|balanced] [--json]\n\n"
               "Plans MODEL's activation arena with the kernels chosen for PROFILE (default: host)\n"
               "and prints, per op in execution order: the step, the op's index in the file, its\n"
               "type, the kernel chosen and why (fast, or ref where --optimize traded a fast kernel\n"
               "for memory), the kernel's scratch bytes, its first output tensor and that tensor's\n"
               "arena offset, the bytes of all buffers live during the op, and the highest arena\n"
               "byte they use. Then the arena per placement strategy, the one kept, the op order\n"
               "kept, and the bytes that in-place / overlapping placement saves. The plan is\n"
               "checked before printing; an invalid plan is an error.\n\n"
               "  --kernels K     opt: the fastest kernels for the profile (default); ref: reference ones\n"
               MOTE_OPTIMIZE_HELP);
}

static const char *op_label(const mote_host_model *hm, int32_t op)
{
    const mote_ir_op *o = &hm->g->ops[op];
    return o->custom_code ? o->custom_code : mote_op_name(o->op);
}

static void shape_str(const mote_tensor *t, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "%s[", mote_dtype_name((mote_dtype)t->type));
    for (int d = 0; d < t->rank && n < len; d++)
        n += (size_t)snprintf(buf + n, len - n, d ? ",%d" : "%d", (int)t->dims[d]);
    if (n < len) snprintf(buf + n, len - n, "]");
}

static int32_t first_output(const mote_host_model *hm, int32_t op)
{
    const mote_ir_op *o = &hm->g->ops[op];
    return o->n_out ? o->io[o->n_in] : -1;
}

static const char *kernel_name(const mote_host_model *hm, int32_t s)
{
    const mote_node *n = &hm->m.nodes[s];
    const mote_op_def *def = mote_op_lookup((mote_op)n->op);
    return def && n->kernel < def->n_kernels ? def->kernels[n->kernel].name : "?";
}

/* "ref" where the objective moved the layer to its reference kernel. */
static const char *choice(const mote_host_model *hm, int32_t s)
{
    return hm->reference_ops && hm->reference_ops[hm->plan.order[s]] ? "ref" : "fast";
}

static void print_text(const compile_job *j, const char *model)
{
    const mote_host_model *hm = j->hm;
    const mote_plan *p = &hm->plan;
    printf("%s: %d ops for %s (optimize %s), execution order '%s'\n", model, (int)hm->m.n_nodes, j->prof.name,
           mote_optimize_name(j->optimize), p->order_name);
    printf("%4s %4s  %-26s %-20s %-4s %7s %-28s %8s %8s %8s\n", "step", "op", "type", "kernel", "pick", "scratch",
           "output", "offset", "live", "high");
    for (int32_t s = 0; s < hm->m.n_nodes; s++) {
        int32_t op = p->order[s], t = first_output(hm, op);
        char shape[96] = "-", at[24] = "-";
        if (t >= 0 && p->tensor_offset[t] != MOTE_PLAN_NONE) snprintf(at, sizeof at, "%zu", p->tensor_offset[t]);
        if (t >= 0) {
            char sh[80];
            shape_str(&hm->m.tensors[t], sh, sizeof sh);
            snprintf(shape, sizeof shape, "t%d %s", (int)t, sh);
        }
        printf("%4d %4d  %-26s %-20s %-4s %7zu %-28s %8s %8zu %8zu\n", (int)s, (int)op, op_label(hm, op),
               kernel_name(hm, s), choice(hm, s), hm->m.nodes[s].scratch_bytes, shape, at, p->live_bytes[s],
               p->high_water[s]);
    }
    printf("arena per strategy:");
    for (int i = 0; i < p->n_tried; i++) printf(" %s %zu", p->tried[i].name, p->tried[i].arena_bytes);
    printf("\narena: %zu bytes (strategy %s, order %s); without overlap %zu, overlap saves %zu\n", p->arena_bytes,
           p->strategy, p->order_name, p->arena_bytes_no_overlap,
           p->arena_bytes_no_overlap > p->arena_bytes ? p->arena_bytes_no_overlap - p->arena_bytes : 0);
    printf("kernel data: %zu bytes; total arena %zu bytes\n", hm->persist_bytes, hm->arena_bytes);
}

static void print_json(const compile_job *j, const char *model)
{
    const mote_host_model *hm = j->hm;
    const mote_plan *p = &hm->plan;
    json_t *steps = json_array(), *strat = json_object();
    for (int32_t s = 0; s < hm->m.n_nodes; s++) {
        int32_t op = p->order[s], t = first_output(hm, op);
        int placed = t >= 0 && p->tensor_offset[t] != MOTE_PLAN_NONE;
        json_array_append_new(steps, json_pack("{s:i, s:i, s:s, s:s, s:s, s:I, s:o, s:o, s:I, s:I}", "step", (int)s,
                                               "op", (int)op, "type", op_label(hm, op), "kernel", kernel_name(hm, s),
                                               "pick", choice(hm, s), "scratch_bytes",
                                               (json_int_t)hm->m.nodes[s].scratch_bytes, "output",
                                               t >= 0 ? json_integer(t) : json_null(), "output_offset",
                                               placed ? json_integer((json_int_t)p->tensor_offset[t]) : json_null(),
                                               "live_bytes", (json_int_t)p->live_bytes[s], "high_water",
                                               (json_int_t)p->high_water[s]));
    }
    for (int i = 0; i < p->n_tried; i++)
        json_object_set_new(strat, p->tried[i].name, json_integer((json_int_t)p->tried[i].arena_bytes));
    size_t saved = p->arena_bytes_no_overlap > p->arena_bytes ? p->arena_bytes_no_overlap - p->arena_bytes : 0;
    json_t *root = json_pack("{s:s, s:s, s:s, s:o, s:I, s:s, s:s, s:o, s:I, s:I, s:I, s:I}", "model", model,
                             "target", j->prof.name, "optimize", mote_optimize_name(j->optimize), "steps", steps,
                             "arena_bytes", (json_int_t)p->arena_bytes, "strategy", p->strategy, "order",
                             p->order_name, "strategies", strat, "arena_bytes_no_overlap",
                             (json_int_t)p->arena_bytes_no_overlap, "overlap_saved_bytes", (json_int_t)saved,
                             "kernel_data_bytes", (json_int_t)hm->persist_bytes, "total_arena_bytes",
                             (json_int_t)hm->arena_bytes);
    char *txt = json_dumps(root, JSON_INDENT(2));
    if (txt) puts(txt);
    free(txt);
    json_decref(root);
}

/* Validate against the file-order view of the model: host_model has put
 * m.nodes in execution order, while plan.order names file indices. */
static int check(const mote_host_model *hm, const char *model)
{
    mote_model fm = hm->m;
    mote_node *nodes = malloc(sizeof(mote_node) * (size_t)(fm.n_nodes ? fm.n_nodes : 1));
    if (!nodes) {
        fprintf(stderr, "mote plan: out of memory\n");
        return -1;
    }
    for (int32_t s = 0; s < fm.n_nodes; s++) nodes[hm->plan.order[s]] = hm->m.nodes[s];
    fm.nodes = nodes;
    char err[512];
    int rc = mote_plan_validate(&fm, &hm->plan, err, sizeof err);
    if (rc != 0) fprintf(stderr, "mote plan: %s: %s\n", model, err);
    free(nodes);
    return rc;
}

int cmd_plan(int argc, char **argv)
{
    const char *model = NULL, *target = "host";
    int as_json = 0, kr;
    compile_kernels kernels = {0, MOTE_OPTIMIZE_BALANCED};
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) as_json = 1;
        else if ((!strcmp(argv[i], "--target") || !strcmp(argv[i], "-t")) && i + 1 < argc) target = argv[++i];
        else if ((kr = compile_parse_kernel_option("plan", argc, argv, &i, &kernels)) != 0) {
            if (kr < 0) return 2;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "mote plan: unknown or incomplete option '%s' (see --help)\n", argv[i]);
            return 2;
        } else if (!model) model = argv[i];
        else {
            fprintf(stderr, "mote plan: one model only\n");
            return 2;
        }
    }
    if (!model) {
        help(stderr);
        return 2;
    }
    compile_job j;
    if (compile_job_open(&j, model, target, &kernels) != 0) return 1;
    int rc = check(j.hm, model) != 0;
    if (!rc && as_json) print_json(&j, model);
    else if (!rc) print_text(&j, model);
    compile_job_close(&j);
    return rc;
}
