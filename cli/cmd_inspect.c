/* mote inspect: per-op table (type, shapes, MACs, bytes) and totals. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "host_model.h"
#include "tflite/import.h"

static void help(FILE *f)
{
    fprintf(f, "usage: mote inspect MODEL [--json]\n\n"
               "Prints every operator of MODEL (.tflite): type, input and output shapes, MACs,\n"
               "parameter bytes (constant inputs) and activation bytes (other inputs + outputs),\n"
               "then totals and the arena mote plans for it.\n");
}

static void shape_str(const mote_tensor *t, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "%s[", mote_dtype_name((mote_dtype)t->type));
    for (int d = 0; d < t->rank && n < len; d++)
        n += (size_t)snprintf(buf + n, len - n, d ? ",%d" : "%d", (int)t->dims[d]);
    if (n < len) snprintf(buf + n, len - n, "]");
}

static json_t *shape_json(const mote_ir_tensor *it)
{
    json_t *dims = json_array();
    for (int d = 0; d < it->t.rank; d++) json_array_append_new(dims, json_integer(it->t.dims[d]));
    json_t *o = json_pack("{s:s, s:o, s:I}", "dtype", mote_dtype_name((mote_dtype)it->t.type), "shape",
                          dims, "bytes", (json_int_t)it->t.bytes);
    if (it->t.q.n == 1) {
        json_object_set_new(o, "scale", json_real(it->t.q.scale[0]));
        json_object_set_new(o, "zero_point", json_integer(it->t.q.zero_point[0]));
    } else if (it->t.q.n > 1) {
        json_object_set_new(o, "per_channel_axis", json_integer(it->t.q.axis));
    }
    json_object_set_new(o, "name", json_string(it->name));
    return o;
}

static const char *op_label(const mote_ir_op *op)
{
    return op->custom_code ? op->custom_code : mote_op_name(op->op);
}

int cmd_inspect(int argc, char **argv)
{
    const char *model = NULL;
    int as_json = 0;
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) as_json = 1;
        else if (argv[i][0] == '-') {
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
    mote_ir_graph *g = mote_tflite_import_file(model, err, sizeof err);
    if (!g) {
        fprintf(stderr, "mote inspect: %s\n", err);
        return 1;
    }
    /* The runtime view (arena) needs a prepared model; keep the IR for the table. */
    char rt_err[512] = "";
    mote_ir_graph *g2 = mote_tflite_import_file(model, rt_err, sizeof rt_err);
    mote_host_model *hm = g2 ? mote_host_model_new(g2, model, rt_err, sizeof rt_err) : NULL;

    int64_t macs = 0, params = 0, act_peak = 0;
    json_t *jops = json_array();
    if (!as_json) {
        printf("%s: %d ops, %d tensors%s%s\n", model, (int)g->n_ops, (int)g->n_tensors,
               g->description[0] ? ", " : "", g->description);
        printf("%4s  %-28s %-26s %-22s %12s %10s %10s\n", "op", "type", "inputs", "output", "MACs",
               "params", "act bytes");
    }
    for (int32_t i = 0; i < g->n_ops; i++) {
        const mote_ir_op *op = &g->ops[i];
        mote_ir_op_stats s = mote_ir_stats(g, i);
        macs += s.macs;
        params += s.param_bytes;
        if (s.act_bytes > act_peak) act_peak = s.act_bytes;
        if (as_json) {
            json_t *ins = json_array(), *outs = json_array();
            for (int k = 0; k < op->n_in; k++)
                json_array_append_new(ins, op->io[k] < 0 ? json_null() : json_integer(op->io[k]));
            for (int k = 0; k < op->n_out; k++) json_array_append_new(outs, json_integer(op->io[op->n_in + k]));
            json_array_append_new(jops, json_pack("{s:i, s:s, s:o, s:o, s:I, s:I, s:I}", "index", (int)i,
                                                  "type", op_label(op), "inputs", ins, "outputs", outs,
                                                  "macs", (json_int_t)s.macs, "param_bytes",
                                                  (json_int_t)s.param_bytes, "activation_bytes",
                                                  (json_int_t)s.act_bytes));
            continue;
        }
        char ibuf[128] = "", obuf[64];
        size_t n = 0;
        for (int k = 0; k < op->n_in && n < sizeof ibuf; k++) {
            if (op->io[k] < 0 || (g->tensors[op->io[k]].t.flags & MOTE_TENSOR_CONST)) continue;
            char sb[64];
            shape_str(&g->tensors[op->io[k]].t, sb, sizeof sb);
            n += (size_t)snprintf(ibuf + n, sizeof ibuf - n, n ? " %s" : "%s", sb);
        }
        shape_str(&g->tensors[op->io[op->n_in]].t, obuf, sizeof obuf);
        printf("%4d  %-28s %-26s %-22s %12lld %10lld %10lld\n", (int)i, op_label(op), ibuf, obuf,
               (long long)s.macs, (long long)s.param_bytes, (long long)s.act_bytes);
    }
    if (as_json) {
        json_t *ins = json_array(), *outs = json_array();
        for (int32_t i = 0; i < g->n_inputs; i++) json_array_append_new(ins, shape_json(&g->tensors[g->inputs[i]]));
        for (int32_t i = 0; i < g->n_outputs; i++) json_array_append_new(outs, shape_json(&g->tensors[g->outputs[i]]));
        json_t *root = json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I}}", "model", model,
                                 "description", g->description, "inputs", ins, "outputs", outs,
                                 "ops", jops, "totals", "macs", (json_int_t)macs, "param_bytes",
                                 (json_int_t)params, "max_op_activation_bytes", (json_int_t)act_peak);
        if (hm) {
            json_object_set_new(root, "arena_bytes", json_integer((json_int_t)hm->arena_bytes));
            json_object_set_new(root, "runnable", json_true());
        } else {
            json_object_set_new(root, "runnable", json_false());
            json_object_set_new(root, "runtime_error", json_string(rt_err));
        }
        char *s = json_dumps(root, JSON_INDENT(2));
        puts(s);
        free(s);
        json_decref(root);
    } else {
        json_decref(jops);
        printf("total: %lld MACs, %lld parameter bytes\n", (long long)macs, (long long)params);
        if (hm)
            printf("arena: %zu bytes (activations+scratch %zu, kernel data %zu)\n", hm->arena_bytes,
                   hm->plan.arena_bytes, hm->persist_bytes);
        else
            printf("not runnable: %s\n", rt_err);
    }
    mote_host_model_free(hm);
    mote_ir_free(g);
    return 0;
}
