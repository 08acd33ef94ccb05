/* C package backend: the prepared, planned model as plain C.
 *
 * model.c holds the weights, quantization arrays and prepared parameter
 * blocks as const arrays (flash), the tensor and node tables (const too:
 * kernels never change descriptors), a static arena of exactly the planned
 * size, and an invoke() that calls each node's kernel directly, so the
 * linker sees only the kernels this model uses. Beside it: the runtime files
 * those kernels need, copied flat from runtime/, a CMakeLists.txt and a
 * Makefile fragment. Constants are written as little-endian 32-bit words:
 * every target mote supports is little-endian. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/compiled.h"
#include "backend/emit_util.h"
#include "mote/kernel.h"

#ifndef MOTE_RUNTIME_DIR
#error "MOTE_RUNTIME_DIR must point at runtime/"
#endif
#define KERNEL_DIR MOTE_RUNTIME_DIR "/kernels"

/* Runtime files every package needs: prepare helpers, fixed point, checks
 * (kernel files also hold their op's prepare, which the linker drops). */
static const char *const support_files[] = {"src/interp.c", "src/quant.c", "src/checks.c"};

/* The kernel file defining eval `sym`: "void sym(" or a generator macro's
 * "(sym," — else the file with the op's definition (macro families). */
static int find_kernel_file(const strlist *kernel_files, const char *sym, const char *op_name, char *out,
                            size_t outlen)
{
    char pat_fn[160], pat_macro[160], pat_def[160];
    snprintf(pat_fn, sizeof pat_fn, "void %s(", sym);
    snprintf(pat_macro, sizeof pat_macro, "(%s,", sym);
    snprintf(pat_def, sizeof pat_def, "= {\"%s\",", op_name);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < kernel_files->n; i++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", KERNEL_DIR, kernel_files->v[i]);
            char *src = emit_slurp(path, NULL);
            if (!src) continue;
            int hit = pass == 0 ? (strstr(src, pat_fn) || strstr(src, pat_macro)) : strstr(src, pat_def) != NULL;
            free(src);
            if (hit) {
                snprintf(out, outlen, "%s", kernel_files->v[i]);
                return 0;
            }
        }
    }
    return -1;
}

/* Add to todo every kernel eval named in a copied file (an op's kernel table, a
 * prepare that picks a faster variant): their files must come along, or the
 * package links only with --gc-sections. */
static void referenced_evals(const char *path, strlist *todo)
{
    char *src = emit_slurp(path, NULL);
    if (!src) return;
    for (const char *p = src; (p = strstr(p, "mote_")) != NULL;) {
        const char *q = p + 5;
        while (*q == '_' || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9')) q++;
        size_t len = (size_t)(q - p);
        int ident_start = p == src || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                                         (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9'));
        if (ident_start && len > 10 && len < 128 && !memcmp(q - 5, "_eval", 5)) {
            char sym[128];
            memcpy(sym, p, len);
            sym[len] = 0;
            if (!strlist_has(todo, sym)) strlist_add(todo, sym);
        }
        p = q;
    }
    free(src);
}

/* Copy kernel file `file` into dir once: 0, or -1 with the reason in err. */
static int place_kernel_file(const char *dir, const char *file, strlist *c_files, char *err, size_t errlen)
{
    if (strlist_has(c_files, file)) return 0;
    char from[1024], to[1024];
    snprintf(from, sizeof from, "%s/%s", KERNEL_DIR, file);
    snprintf(to, sizeof to, "%s/%s", dir, file);
    if (emit_copy_file(from, to) != 0) {
        snprintf(err, errlen, "cannot copy %s to %s: %s", from, to, strerror(errno));
        return -1;
    }
    strlist_add(c_files, file);
    return 0;
}

static void eval_symbol(const mote_node *n, char *out, size_t outlen)
{
    const mote_op_def *def = mote_op_lookup((mote_op)n->op);
    snprintf(out, outlen, "mote_%s_eval", def->kernels[n->kernel].name);
}

/* ---- model.c ---- */

static void emit_quant(FILE *f, int32_t i, const mote_quant *q)
{
    fprintf(f, "static const float q%d_scale[%d] = {", (int)i, (int)q->n);
    for (int32_t k = 0; k < q->n; k++) fprintf(f, "%s%.9ef,", k % 6 == 0 ? "\n    " : " ", (double)q->scale[k]);
    fprintf(f, "\n};\nstatic const int32_t q%d_zero_point[%d] = {", (int)i, (int)q->n);
    for (int32_t k = 0; k < q->n; k++)
        fprintf(f, "%s%d,", k % 12 == 0 ? "\n    " : " ", q->zero_point ? (int)q->zero_point[k] : 0);
    fprintf(f, "\n};\n");
}

static void emit_opts(FILE *f, const mote_opts *o)
{
    fprintf(f, "        .opts = {");
#define OPT_I(field) \
    if (o->field) fprintf(f, "." #field " = %ld, ", (long)o->field);
#define OPT_F(field) \
    if (o->field != 0.0f) fprintf(f, "." #field " = %.9ef, ", (double)o->field);
    OPT_I(padding) OPT_I(activation) OPT_I(keep_dims) OPT_I(time_major) OPT_I(asymmetric_quantize_inputs)
    OPT_I(stride_w) OPT_I(stride_h) OPT_I(dilation_w) OPT_I(dilation_h) OPT_I(filter_w) OPT_I(filter_h)
    OPT_I(depth_multiplier) OPT_I(axis) OPT_I(begin_mask) OPT_I(end_mask) OPT_I(ellipsis_mask)
    OPT_I(new_axis_mask) OPT_I(shrink_axis_mask) OPT_I(offset)
    OPT_F(beta) OPT_F(cell_clip) OPT_F(proj_clip)
#undef OPT_I
#undef OPT_F
    if (o->n_iparams > 0) {
        fprintf(f, ".n_iparams = %d, .iparams = {", (int)o->n_iparams);
        for (int32_t k = 0; k < o->n_iparams && k < 16; k++) fprintf(f, "%d, ", (int)o->iparams[k]);
        fprintf(f, "}");
    }
    fprintf(f, "},\n");
}

static void emit_model_c(FILE *f, const mote_host_model *hm, const char *prefix, const char *source,
                         const char *target)
{
    const mote_model *m = &hm->m;
    mote_compiled_sizes sz;
    mote_compiled_sizes_of(hm, &sz);
    fprintf(f, "/* Generated by `mote compile` from %s for %s. Do not edit: recompile. */\n", source, target);
    fprintf(f, "#include <string.h>\n\n#include \"model.h\"\n#include \"mote/mote.h\"\n\n");
    fprintf(f, "#if defined(__GNUC__) || defined(__clang__)\n#define MOTE_ALIGNED(n) __attribute__((aligned(n)))\n"
               "#else\n#define MOTE_ALIGNED(n)\n#endif\n\n");

    strlist syms = {0};
    for (int32_t i = 0; i < m->n_nodes; i++) {
        char sym[128];
        eval_symbol(&m->nodes[i], sym, sizeof sym);
        strlist_add(&syms, sym);
    }
    fprintf(f, "/* kernels */\n");
    for (int i = 0; i < syms.n; i++) fprintf(f, "void %s(const mote_node *n, const mote_tensor *t);\n", syms.v[i]);
    strlist_free(&syms);

    fprintf(f, "\n/* activations and scratch: the planned arena */\nstatic uint8_t arena[%zu] MOTE_ALIGNED(16);\n",
            sz.plan_bytes ? sz.plan_bytes : 16);
    if (sz.state_bytes) fprintf(f, "/* kernel state kept across invokes */\nstatic uint8_t state[%zu] MOTE_ALIGNED(16);\n", sz.state_bytes);

    fprintf(f, "\n/* weights */\n");
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const mote_tensor *t = &m->tensors[i];
        if (!(t->flags & MOTE_TENSOR_CONST) || (t->flags & MOTE_TENSOR_PACKED) || !t->bytes) continue;
        char name[32];
        snprintf(name, sizeof name, "w%d", (int)i);
        fprintf(f, "/* tensor %d: %s */\n", (int)i, hm->g->tensors[i].name ? hm->g->tensors[i].name : "");
        emit_u32_array(f, name, t->data, t->bytes);
    }
    fprintf(f, "\n/* quantization */\n");
    for (int32_t i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].q.n > 0) emit_quant(f, i, &m->tensors[i].q);
    fprintf(f, "\n/* prepared kernel parameters */\n");
    for (int32_t i = 0; i < m->n_nodes; i++) {
        if (!m->nodes[i].data_bytes) continue;
        char name[32];
        snprintf(name, sizeof name, "p%d", (int)i);
        emit_u32_array(f, name, m->nodes[i].data, m->nodes[i].data_bytes);
    }

    fprintf(f, "\n/* graph inputs, outputs, then each node's inputs and outputs */\nstatic const int32_t io[] = {\n   ");
    for (int32_t i = 0; i < m->n_inputs; i++) fprintf(f, " %d,", (int)m->inputs[i]);
    for (int32_t i = 0; i < m->n_outputs; i++) fprintf(f, " %d,", (int)m->outputs[i]);
    size_t io_at = (size_t)m->n_inputs + (size_t)m->n_outputs;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        fprintf(f, "\n   ");
        for (int k = 0; k < m->nodes[i].n_in + m->nodes[i].n_out; k++) fprintf(f, " %d,", (int)m->nodes[i].io[k]);
    }
    fprintf(f, "\n};\n");

    fprintf(f, "\nstatic const mote_tensor tensors[%d] = {\n", (int)(m->n_tensors ? m->n_tensors : 1));
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const mote_tensor *t = &m->tensors[i];
        fprintf(f, "    {");
        if ((t->flags & MOTE_TENSOR_CONST) && !(t->flags & MOTE_TENSOR_PACKED) && t->bytes) fprintf(f, ".data = (void *)w%d, ", (int)i);
        else if (!(t->flags & MOTE_TENSOR_CONST) && t->data && t->bytes) fprintf(f, ".data = arena + %u, ", (unsigned)mote_arena_offset(hm, t->data));
        fprintf(f, ".bytes = %zu, .dims = {", t->bytes);
        for (int d = 0; d < t->rank; d++) fprintf(f, "%s%d", d ? ", " : "", (int)t->dims[d]);
        fprintf(f, "}, .rank = %d, .type = %d, .flags = %d", t->rank, t->type, t->flags);
        if (t->q.n > 0)
            fprintf(f, ", .q = {q%d_scale, q%d_zero_point, %d, %d}", (int)i, (int)i, (int)t->q.n, (int)t->q.axis);
        fprintf(f, "},\n");
    }
    fprintf(f, "};\n");

    fprintf(f, "\nstatic const mote_node nodes[%d] = {\n", (int)(m->n_nodes ? m->n_nodes : 1));
    size_t state_at = 0;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        const mote_node *n = &m->nodes[i];
        char sym[128];
        eval_symbol(n, sym, sizeof sym);
        fprintf(f, "    { /* %d: %s */\n", (int)i, mote_op_name((mote_op)n->op));
        fprintf(f, "        .op = %d, .n_in = %d, .n_out = %d, .io = io + %zu,\n", n->op, n->n_in, n->n_out, io_at);
        io_at += (size_t)n->n_in + n->n_out;
        emit_opts(f, &n->opts);
        fprintf(f, "        .eval = %s, .kernel = %d,\n", sym, n->kernel);
        if (n->data_bytes) fprintf(f, "        .data = (void *)p%d, .data_bytes = %zu,\n", (int)i, n->data_bytes);
        if (n->state_bytes) {
            fprintf(f, "        .state = state + %zu, .state_bytes = %zu,\n", state_at, n->state_bytes);
            state_at += (n->state_bytes + 15u) & ~(size_t)15u;
        }
        if (n->scratch_bytes)
            fprintf(f, "        .scratch_bytes = %zu, .scratch = arena + %u,\n", n->scratch_bytes,
                    (unsigned)mote_arena_offset(hm, n->scratch));
        fprintf(f, "    },\n");
    }
    fprintf(f, "};\n");

    /* API */
    fprintf(f, "\nint %s_init(void)\n{\n", prefix);
    if (sz.state_bytes) fprintf(f, "    memset(state, 0, sizeof state);\n");
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const mote_tensor *t = &m->tensors[i];
        if (!(t->flags & MOTE_TENSOR_VARIABLE) || !t->bytes) continue;
        int fill = t->type == MOTE_I8 && t->q.n >= 1 ? t->q.zero_point[0] : 0; /* as mote_reset */
        fprintf(f, "    memset(tensors[%d].data, %d, %zu);\n", (int)i, fill, t->bytes);
    }
    fprintf(f, "    return 0;\n}\n\n");
    fprintf(f, "int %s_num_inputs(void)\n{\n    return %d;\n}\n\n", prefix, (int)m->n_inputs);
    fprintf(f, "int %s_num_outputs(void)\n{\n    return %d;\n}\n\n", prefix, (int)m->n_outputs);
    fprintf(f, "void *%s_input(int i)\n{\n    return i >= 0 && i < %d ? tensors[io[i]].data : NULL;\n}\n\n", prefix,
            (int)m->n_inputs);
    fprintf(f, "size_t %s_input_bytes(int i)\n{\n    return i >= 0 && i < %d ? tensors[io[i]].bytes : 0;\n}\n\n",
            prefix, (int)m->n_inputs);
    fprintf(f, "const void *%s_output(int i)\n{\n    return i >= 0 && i < %d ? tensors[io[%d + i]].data : NULL;\n}\n\n",
            prefix, (int)m->n_outputs, (int)m->n_inputs);
    fprintf(f, "size_t %s_output_bytes(int i)\n{\n    return i >= 0 && i < %d ? tensors[io[%d + i]].bytes : 0;\n}\n\n",
            prefix, (int)m->n_outputs, (int)m->n_inputs);
    fprintf(f, "int %s_invoke(void)\n{\n", prefix);
    for (int32_t i = 0; i < m->n_nodes; i++) {
        char sym[128];
        eval_symbol(&m->nodes[i], sym, sizeof sym);
        fprintf(f, "    MOTE_LAYER_MARK(%d);\n    %s(&nodes[%d], tensors);\n", (int)i, sym, (int)i);
    }
    fprintf(f, "    MOTE_LAYER_MARK(%d);\n    return 0;\n}\n", (int)m->n_nodes);
}

static void emit_model_h(FILE *f, const mote_host_model *hm, const char *prefix, const char *source,
                         const char *target)
{
    mote_compiled_sizes sz;
    mote_compiled_sizes_of(hm, &sz);
    char up[64];
    size_t k = 0;
    for (; prefix[k] && k + 1 < sizeof up; k++) up[k] = (char)(prefix[k] >= 'a' && prefix[k] <= 'z' ? prefix[k] - 32 : prefix[k]);
    up[k] = 0;
    fprintf(f, "/* Generated by `mote compile` from %s for %s. Do not edit: recompile.\n *\n"
               " * Use: %s_init() once; write %s_input(i); %s_invoke(); read %s_output(i).\n"
               " * Inputs and outputs live in the model's arena: an input is overwritten by\n"
               " * the invoke, an output stays valid until the next invoke. */\n",
            source, target, prefix, prefix, prefix, prefix);
    fprintf(f, "#ifndef %s_MODEL_H\n#define %s_MODEL_H\n\n#include <stddef.h>\n\n", up, up);
    fprintf(f, "#define %s_ARENA_BYTES %zu /* planned activations + scratch (static) */\n", up, sz.plan_bytes);
    fprintf(f, "#define %s_STATE_BYTES %zu\n#define %s_WEIGHTS_BYTES %zu\n", up, sz.state_bytes, up, sz.weights_bytes);
    fprintf(f, "#define %s_NUM_LAYERS %d\n\n", up, (int)hm->m.n_nodes);
    fprintf(f, "#ifdef MOTE_LAYER_MARKS\nvoid mote_layer_mark(int layer);\n#define MOTE_LAYER_MARK(k) mote_layer_mark(k)\n"
               "#else\n#define MOTE_LAYER_MARK(k) ((void)0)\n#endif\n\n");
    fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    fprintf(f, "int %s_init(void); /* 0 on success */\nint %s_num_inputs(void);\nint %s_num_outputs(void);\n", prefix,
            prefix, prefix);
    fprintf(f, "void *%s_input(int i);\nsize_t %s_input_bytes(int i);\nint %s_invoke(void); /* 0 on success */\n",
            prefix, prefix, prefix);
    fprintf(f, "const void *%s_output(int i);\nsize_t %s_output_bytes(int i);\n\n", prefix, prefix);
    fprintf(f, "#ifdef __cplusplus\n}\n#endif\n#endif\n");
}

static void emit_build_files(const char *dir, const strlist *c_files, const char *prefix)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/CMakeLists.txt", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "# Generated by `mote compile`: add_subdirectory() this folder and link %s.\n", prefix);
        fprintf(f, "cmake_minimum_required(VERSION 3.13)\nadd_library(%s STATIC\n", prefix);
        for (int i = 0; i < c_files->n; i++) fprintf(f, "  %s\n", c_files->v[i]);
        fprintf(f, ")\nset_target_properties(%s PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON)\n", prefix);
        fprintf(f, "target_include_directories(%s PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})\n", prefix);
        fprintf(f, "target_link_libraries(%s PUBLIC m)\n", prefix);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/model.mk", dir);
    f = fopen(path, "w");
    if (f) {
        fprintf(f, "# Generated by `mote compile`: include this fragment, then add $(MODEL_SRCS) to your\n"
                   "# sources and $(MODEL_CFLAGS) to CFLAGS; link with -lm. Linking with\n"
                   "# -ffunction-sections -fdata-sections -Wl,--gc-sections drops the unused\n"
                   "# prepare code of the kernel files.\n");
        fprintf(f, "MODEL_DIR := $(dir $(lastword $(MAKEFILE_LIST)))\nMODEL_SRCS :=");
        for (int i = 0; i < c_files->n; i++) fprintf(f, " \\\n  $(MODEL_DIR)%s", c_files->v[i]);
        fprintf(f, "\nMODEL_CFLAGS := -I$(MODEL_DIR) -std=c99\n");
        fclose(f);
    }
}

int mote_emit_c(const mote_host_model *hm, const char *dir, const char *prefix, const char *source,
                const char *target, char *err, size_t errlen)
{
    const mote_model *m = &hm->m;
    strlist kernel_files = {0}, c_files = {0}, headers = {0};
    strlist seen = {0}; /* kernels already placed: each source is scanned once per kernel */
    int rc = -1;
    char path[1024], from[1024];
    snprintf(path, sizeof path, "%s/mote", dir);
    if (emit_mkdirs(path) != 0) {
        snprintf(err, errlen, "%s: cannot create folder: %s", path, strerror(errno));
        return -1;
    }
    if (emit_list_dir(KERNEL_DIR, ".c", &kernel_files) != 0 || emit_list_dir(KERNEL_DIR, ".h", &headers) != 0) {
        snprintf(err, errlen, "%s: cannot read the runtime kernels", KERNEL_DIR);
        goto done;
    }
    strlist_add(&c_files, "model.c");
    for (size_t i = 0; i < sizeof support_files / sizeof support_files[0]; i++) {
        const char *base = strrchr(support_files[i], '/') + 1;
        snprintf(from, sizeof from, "%s/%s", MOTE_RUNTIME_DIR, support_files[i]);
        snprintf(path, sizeof path, "%s/%s", dir, base);
        if (emit_copy_file(from, path) != 0) goto copy_fail;
        strlist_add(&c_files, base);
    }
    for (int32_t i = 0; i < m->n_nodes; i++) {
        char sym[128], file[256];
        eval_symbol(&m->nodes[i], sym, sizeof sym);
        if (strlist_has(&seen, sym)) continue;
        strlist_add(&seen, sym);
        if (find_kernel_file(&kernel_files, sym, mote_op_lookup((mote_op)m->nodes[i].op)->name, file, sizeof file) != 0) {
            snprintf(err, errlen, "no file in %s defines kernel %s", KERNEL_DIR, sym);
            goto done;
        }
        if (place_kernel_file(dir, file, &c_files, err, errlen) != 0) goto done;
    }
    /* The evals the copied files name, until none is missing (seen grows as it goes). */
    for (int i = 0; i < c_files.n; i++) {
        snprintf(from, sizeof from, "%s/%s", KERNEL_DIR, c_files.v[i]);
        strlist refs = {0};
        referenced_evals(from, &refs);
        int bad = 0;
        for (int r = 0; r < refs.n && !bad; r++) {
            char file[256];
            if (strlist_has(&seen, refs.v[r])) continue;
            strlist_add(&seen, refs.v[r]);
            /* not found: declared outside the kernel files */
            if (find_kernel_file(&kernel_files, refs.v[r], "", file, sizeof file) == 0)
                bad = place_kernel_file(dir, file, &c_files, err, errlen);
        }
        strlist_free(&refs);
        if (bad) goto done;
    }
    for (int i = 0; i < headers.n; i++) {
        snprintf(from, sizeof from, "%s/%s", KERNEL_DIR, headers.v[i]);
        snprintf(path, sizeof path, "%s/%s", dir, headers.v[i]);
        if (emit_copy_file(from, path) != 0) goto copy_fail;
    }
    strlist_free(&headers);
    if (emit_list_dir(MOTE_RUNTIME_DIR "/include/mote", ".h", &headers) != 0) goto copy_fail;
    for (int i = 0; i < headers.n; i++) {
        snprintf(from, sizeof from, "%s/include/mote/%s", MOTE_RUNTIME_DIR, headers.v[i]);
        snprintf(path, sizeof path, "%s/mote/%s", dir, headers.v[i]);
        if (emit_copy_file(from, path) != 0) goto copy_fail;
    }

    snprintf(path, sizeof path, "%s/model.c", dir);
    FILE *f = fopen(path, "w");
    if (!f) goto write_fail;
    emit_model_c(f, hm, prefix, source, target);
    if (fclose(f) != 0) goto write_fail;
    snprintf(path, sizeof path, "%s/model.h", dir);
    f = fopen(path, "w");
    if (!f) goto write_fail;
    emit_model_h(f, hm, prefix, source, target);
    if (fclose(f) != 0) goto write_fail;
    emit_build_files(dir, &c_files, prefix);
    rc = 0;
    goto done;
copy_fail:
    snprintf(err, errlen, "cannot copy %s to %s: %s", from, path, strerror(errno));
    goto done;
write_fail:
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
done:
    strlist_free(&seen);
    strlist_free(&kernel_files);
    strlist_free(&c_files);
    strlist_free(&headers);
    return rc;
}
