/* mote inspect's JSON document: tensors, ops with MACs and bytes, totals, arena. */
#include "driver/inspect_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"

static json_t *shape_json(const mote_ir_tensor *it)
{
    json_t *dims = json_array();
    for (int d = 0; d < it->t.rank; d++) json_array_append_new(dims, json_integer(it->t.dims[d]));
    json_t *o = json_pack("{s:s, s:o, s:I}", "dtype", mote_dtype_name((mote_dtype)it->t.type), "shape", dims,
                          "bytes", (json_int_t)it->t.bytes);
    if (!o) return NULL;
    if (it->t.q.n == 1) {
        json_object_set_new(o, "scale", json_real(it->t.q.scale[0]));
        json_object_set_new(o, "zero_point", json_integer(it->t.q.zero_point[0]));
    } else if (it->t.q.n > 1) {
        json_object_set_new(o, "per_channel_axis", json_integer(it->t.q.axis));
    }
    json_object_set_new(o, "name", json_string(it->name));
    return o;
}

json_t *mote_inspect_json(const mote_ir_graph *g, const mote_host_model *hm, const char *rt_err, const char *model)
{
    int64_t macs = 0, params = 0, act_peak = 0;
    json_t *jops = json_array();
    for (int32_t i = 0; i < g->n_ops; i++) {
        const mote_ir_op *op = &g->ops[i];
        mote_ir_op_stats s = mote_ir_stats(g, i);
        macs += s.macs;
        params += s.param_bytes;
        if (s.act_bytes > act_peak) act_peak = s.act_bytes;
        json_t *ins = json_array(), *outs = json_array();
        for (int k = 0; k < op->n_in; k++)
            json_array_append_new(ins, op->io[k] < 0 ? json_null() : json_integer(op->io[k]));
        for (int k = 0; k < op->n_out; k++) json_array_append_new(outs, json_integer(op->io[op->n_in + k]));
        json_array_append_new(jops, json_pack("{s:i, s:s, s:o, s:o, s:I, s:I, s:I}", "index", (int)i, "type",
                                              op->custom_code ? op->custom_code : mote_op_name(op->op), "inputs",
                                              ins, "outputs", outs, "macs", (json_int_t)s.macs, "param_bytes",
                                              (json_int_t)s.param_bytes, "activation_bytes",
                                              (json_int_t)s.act_bytes));
    }
    json_t *ins = json_array(), *outs = json_array();
    for (int32_t i = 0; i < g->n_inputs; i++) json_array_append_new(ins, shape_json(&g->tensors[g->inputs[i]]));
    for (int32_t i = 0; i < g->n_outputs; i++) json_array_append_new(outs, shape_json(&g->tensors[g->outputs[i]]));
    json_t *root = json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I}}", "model", model, "description",
                             g->description, "inputs", ins, "outputs", outs, "ops", jops, "totals", "macs",
                             (json_int_t)macs, "param_bytes", (json_int_t)params, "max_op_activation_bytes",
                             (json_int_t)act_peak);
    if (!root) return NULL;
    if (hm) {
        json_object_set_new(root, "kernels", json_string(hm->isa & MOTE_ISA_REFERENCE ? "ref" : "opt"));
        json_object_set_new(root, "arena_bytes", json_integer((json_int_t)hm->arena_bytes));
        json_object_set_new(root, "runnable", json_true());
    } else {
        json_object_set_new(root, "runnable", json_false());
        json_object_set_new(root, "runtime_error", json_string(rt_err ? rt_err : ""));
    }
    return root;
}

json_t *mote_inspect_json_bytes(const uint8_t *data, size_t len, const char *model, char *err, size_t errlen)
{
    mote_ir_graph *g = mote_import_bytes(data, len, model, err, errlen);
    if (!g) return NULL;
    /* As inspect does: a second graph becomes the prepared host model. */
    char rt_err[512] = "";
    mote_ir_graph *g2 = mote_import_bytes(data, len, model, rt_err, sizeof rt_err);
    mote_host_model *hm = g2 ? mote_host_model_new(g2, model, rt_err, sizeof rt_err) : NULL;
    json_t *doc = mote_inspect_json(g, hm, rt_err, model);
    if (!doc) snprintf(err, errlen, "%s: out of memory", model);
    mote_host_model_free(hm);
    mote_ir_free(g);
    return doc;
}
