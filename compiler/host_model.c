/* Host execution pipeline: lower -> prepare (sizing pass) -> plan -> prepare in
 * the exact arena -> bind tensors. */
#include "host_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/kernel.h"
#include "import/import.h"

static void describe_failure(const mote_host_model *hm, const char *name, mote_status s, char *err,
                             size_t errlen)
{
    const mote_ctx *c = &hm->ctx;
    char where[160] = "";
    if (c->err_node >= 0) {
        int32_t op_index = hm->plan.order ? hm->plan.order[c->err_node] : c->err_node; /* file index */
        const mote_ir_op *op = &hm->g->ops[op_index];
        int n = snprintf(where, sizeof where, " op %d (%s)", (int)op_index,
                         op->custom_code ? op->custom_code : mote_op_name(op->op));
        char tname[MOTE_IR_SHORT_NAME];
        if (c->err_tensor >= 0 && n > 0 && (size_t)n < sizeof where)
            snprintf(where + n, sizeof where - (size_t)n, " tensor %d (%s)", c->err_tensor,
                     mote_ir_short_name(hm->g->tensors[c->err_tensor].name, tname));
    }
    snprintf(err, errlen, "%s:%s: %s", name, where, c->err ? c->err : mote_status_name(s));
}

/* Planner hook: plan the sized model, then put m.nodes in the plan's
 * execution order (m.nodes[s] is IR op plan.order[s] from here on). */
static int plan_and_order(mote_host_model *hm)
{
    mote_model *m = &hm->m;
    if (mote_plan_model(m, &hm->plan) != 0) return -1;
    mote_node *sorted = malloc(sizeof(mote_node) * (size_t)(m->n_nodes ? m->n_nodes : 1));
    if (!sorted) return -1;
    for (int32_t s = 0; s < m->n_nodes; s++) sorted[s] = m->nodes[hm->plan.order[s]];
    free(m->nodes);
    m->nodes = sorted;
    return 0;
}

/* A constant that every reader repacked into its parameter block needs no
 * data in a compiled model: flag it so the backends drop it. */
static void mark_packed(mote_model *m)
{
    for (int32_t i = 0; i < m->n_tensors; i++) {
        mote_tensor *t = &m->tensors[i];
        if (!(t->flags & MOTE_TENSOR_CONST)) continue;
        int readers = 0, packed = 0;
        for (int32_t k = 0; k < m->n_nodes; k++) {
            const mote_node *n = &m->nodes[k];
            const mote_kernel *kern = &mote_op_lookup((mote_op)n->op)->kernels[n->kernel];
            for (int j = 0; j < n->n_in; j++) {
                if (n->io[j] != i) continue;
                readers++;
                if (j < 8 && (kern->packed >> j) & 1u) packed++;
            }
        }
        if (readers > 0 && packed == readers) t->flags |= MOTE_TENSOR_PACKED;
    }
}

/* A per-channel block that does not index its tensor's own shape (a 1-D
 * bias with quantized_dimension 3, as some converters wrote them) is kept by
 * the importer, as TFLM keeps it. The kernels that quantize per channel
 * refused it in prepare unless it indexed their channel dimension, so every
 * kernel that accepted the model read element 0 of it alone: keep just that,
 * which the .mote loader and the C package accept, and prepare on the device
 * gives the same parameters. */
static void keep_read_quant(mote_model *m)
{
    for (int32_t i = 0; i < m->n_tensors; i++) {
        mote_tensor *t = &m->tensors[i];
        if (t->q.n > 1 && (t->q.axis < 0 || t->q.axis >= t->rank || t->dims[t->q.axis] != t->q.n)) {
            t->q.n = 1;
            t->q.axis = 0;
        }
    }
}

static void bind(mote_host_model *hm)
{
    for (int32_t i = 0; i < hm->m.n_tensors; i++)
        if (hm->plan.tensor_offset[i] != MOTE_PLAN_NONE)
            hm->m.tensors[i].data = hm->arena + hm->plan.tensor_offset[i];
    for (int32_t s = 0; s < hm->m.n_nodes; s++) {
        size_t off = hm->plan.scratch_offset[hm->plan.order[s]];
        if (off != MOTE_PLAN_NONE) hm->m.nodes[s].scratch = hm->arena + off;
    }
}

uint32_t mote_isa_host(void)
{
#if defined(__x86_64__)
    return MOTE_ISA_X86;
#elif defined(__aarch64__) && defined(__ARM_NEON)
    return MOTE_ISA_NEON;
#else
    return MOTE_ISA_PORTABLE;
#endif
}

mote_host_model *mote_host_model_new(mote_ir_graph *g, const char *name, char *err, size_t errlen)
{
    return mote_host_model_new_isa(g, name, mote_isa_host(), err, errlen);
}

mote_host_model *mote_host_model_new_isa(mote_ir_graph *g, const char *name, uint32_t isa, char *err,
                                         size_t errlen)
{
    return mote_host_model_new_choice(g, name, isa, NULL, err, errlen);
}

/* Per node in m.nodes order (steps, once planned): the reference flags. */
static void choice_by_node(const mote_host_model *hm, uint8_t *by_node)
{
    for (int32_t s = 0; s < hm->m.n_nodes; s++)
        by_node[s] = hm->reference_ops[hm->plan.order ? hm->plan.order[s] : s];
}

mote_host_model *mote_host_model_new_choice(mote_ir_graph *g, const char *name, uint32_t isa,
                                            const uint8_t *reference_ops, char *err, size_t errlen)
{
    mote_host_model *hm = calloc(1, sizeof *hm);
    if (!hm) {
        mote_ir_free(g);
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    hm->g = g;
    hm->isa = isa;
    mote_model *m = &hm->m;
    m->n_tensors = g->n_tensors;
    m->n_nodes = g->n_ops;
    m->tensors = calloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof(mote_tensor));
    m->nodes = calloc((size_t)(g->n_ops ? g->n_ops : 1), sizeof(mote_node));
    if (!m->tensors || !m->nodes) goto oom;
    for (int32_t i = 0; i < g->n_tensors; i++) m->tensors[i] = g->tensors[i].t;
    for (int32_t i = 0; i < g->n_ops; i++) {
        mote_node *n = &m->nodes[i];
        n->op = (uint16_t)g->ops[i].op;
        n->n_in = g->ops[i].n_in;
        n->n_out = g->ops[i].n_out;
        n->io = g->ops[i].io;
        n->opts = g->ops[i].opts;
    }
    if (reference_ops) {
        hm->reference_ops = malloc((size_t)(g->n_ops ? g->n_ops : 1));
        hm->ref_by_node = malloc((size_t)(g->n_ops ? g->n_ops : 1));
        if (!hm->reference_ops || !hm->ref_by_node) goto oom;
        memcpy(hm->reference_ops, reference_ops, (size_t)g->n_ops);
    }
    m->inputs = g->inputs;
    m->n_inputs = g->n_inputs;
    m->outputs = g->outputs;
    m->n_outputs = g->n_outputs;

    /* Sizing pass: prepare in a scratch arena to learn persistent and scratch needs. */
    size_t trial = (size_t)1 << 20;
    mote_status s;
    for (;;) {
        uint8_t *tmp = aligned_alloc(16, trial);
        if (!tmp) goto oom;
        if (hm->reference_ops) choice_by_node(hm, hm->ref_by_node);
        s = mote_prepare_choice(m, &hm->ctx, tmp, trial, isa, hm->ref_by_node);
        hm->persist_bytes = hm->ctx.persist_used;
        free(tmp);
        if (s != MOTE_ERR_ARENA || trial >= ((size_t)1 << 28)) break; /* 256 MiB of kernel data is no microcontroller model */
        trial *= 4;
    }
    if (s != MOTE_OK) {
        describe_failure(hm, name, s, err, errlen);
        mote_host_model_free(hm);
        return NULL;
    }
    if (plan_and_order(hm) != 0) goto oom;
    hm->arena_bytes = hm->plan.arena_bytes + hm->persist_bytes;
    hm->arena = aligned_alloc(16, hm->arena_bytes ? hm->arena_bytes : 16);
    if (!hm->arena) goto oom;
    memset(hm->arena, 0, hm->arena_bytes ? hm->arena_bytes : 16);
    /* Real pass: persistent data lands above the planned region. */
    if (hm->reference_ops) choice_by_node(hm, hm->ref_by_node);
    s = mote_prepare_choice(m, &hm->ctx, hm->arena, hm->arena_bytes, isa, hm->ref_by_node);
    if (s != MOTE_OK || hm->ctx.persist_used != hm->persist_bytes) {
        describe_failure(hm, name, s == MOTE_OK ? MOTE_ERR_ARENA : s, err, errlen);
        mote_host_model_free(hm);
        return NULL;
    }
    keep_read_quant(m);
    mark_packed(m);
    bind(hm);
    mote_reset(m);
    return hm;
oom:
    snprintf(err, errlen, "%s: out of memory", name);
    mote_host_model_free(hm);
    return NULL;
}

mote_host_model *mote_host_model_load_isa(const char *path, uint32_t isa, char *err, size_t errlen)
{
    return mote_host_model_load_choice(path, isa, NULL, err, errlen);
}

mote_host_model *mote_host_model_load_choice(const char *path, uint32_t isa, const uint8_t *reference_ops, char *err,
                                             size_t errlen)
{
    mote_ir_graph *g = mote_import_file(path, err, errlen);
    return g ? mote_host_model_new_choice(g, path, isa, reference_ops, err, errlen) : NULL;
}

mote_host_model *mote_host_model_load(const char *path, char *err, size_t errlen)
{
    return mote_host_model_load_isa(path, mote_isa_host(), err, errlen);
}

void mote_host_model_free(mote_host_model *hm)
{
    if (!hm) return;
    mote_plan_free(&hm->plan);
    free(hm->reference_ops);
    free(hm->ref_by_node);
    free(hm->m.tensors);
    free(hm->m.nodes);
    free(hm->arena);
    mote_ir_free(hm->g);
    free(hm);
}

size_t mote_host_input_bytes(const mote_host_model *hm)
{
    size_t n = 0;
    for (int32_t i = 0; i < hm->m.n_inputs; i++) n += hm->m.tensors[hm->m.inputs[i]].bytes;
    return n;
}

size_t mote_host_output_bytes(const mote_host_model *hm)
{
    size_t n = 0;
    for (int32_t i = 0; i < hm->m.n_outputs; i++) n += hm->m.tensors[hm->m.outputs[i]].bytes;
    return n;
}

void mote_host_run(mote_host_model *hm, const uint8_t *in, uint8_t *out)
{
    mote_model *m = &hm->m;
    mote_reset(m); /* each input on its own, as TFLM's golden vectors are made (a fresh interpreter each) */
    for (int32_t i = 0; i < m->n_inputs; i++) {
        mote_tensor *t = &m->tensors[m->inputs[i]];
        if (t->bytes) memcpy(t->data, in, t->bytes);
        in += t->bytes;
    }
    mote_invoke(m);
    for (int32_t i = 0; i < m->n_outputs; i++) {
        const mote_tensor *t = &m->tensors[m->outputs[i]];
        if (t->bytes) memcpy(out, t->data, t->bytes);
        out += t->bytes;
    }
}
