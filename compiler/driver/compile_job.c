/* Shared set-up of compile / verify / inspect --target. */
#include "driver/compile_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes/passes.h"

#include "backend/emit_util.h"
#include "mote/kernel.h"

/* Code-size estimates until `mote verify` has measured the real firmware:
 * a base for the runtime support and about 1.5 KB per kernel variant
 * (reference kernels at -O2 on Cortex-M measure 0.4-3 KB: the C estimate is
 * about twice the measured size). The interpreter links every kernel: on a
 * Cortex-M4 its firmware measures 72.5 KB of code plus 18 KB of read-only
 * tables besides the .mote file, so 96 KB keeps the verdict on the safe side. */
#define CODE_BASE_BYTES 6144u
#define CODE_PER_KERNEL_BYTES 1536u
#define CODE_INTERPRETER_BYTES 98304u

int compile_parse_format(const char *s)
{
    if (!strcmp(s, "c")) return FORMAT_C;
    if (!strcmp(s, "mote")) return FORMAT_MOTE;
    if (!strcmp(s, "both")) return FORMAT_BOTH;
    return -1;
}

void compile_model_stem(const char *path, char *out, size_t outlen)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, outlen, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = 0;
}

static size_t distinct_kernels(const mote_model *m)
{
    size_t n = 0;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        int seen = 0;
        for (int32_t j = 0; j < i && !seen; j++)
            seen = m->nodes[j].op == m->nodes[i].op && m->nodes[j].kernel == m->nodes[i].kernel;
        n += !seen;
    }
    return n;
}

int compile_parse_kernels(const char *s, int *reference)
{
    if (!strcmp(s, "opt")) *reference = 0;
    else if (!strcmp(s, "ref")) *reference = 1;
    else return -1;
    return 0;
}

/* Kernel family for a core: x86-64 kernels pick SSE4.1/AVX2/VNNI at run
 * time; aarch64 with the `neon` feature takes the NEON kernels; every other
 * core takes the portable ones, whose inner loops use SMLAD when the
 * profile's -mcpu has the DSP extension. */
static uint32_t profile_isa(const mote_profile *p, int reference)
{
    if (reference) return MOTE_ISA_REFERENCE;
    if (p->core == MOTE_CORE_X86_64) return MOTE_ISA_X86;
    if (p->core == MOTE_CORE_AARCH64 && (p->features & MOTE_FEAT_NEON)) return MOTE_ISA_NEON;
    return MOTE_ISA_PORTABLE;
}

int compile_parse_kernel_option(const char *cmd, int argc, char **argv, int *i, compile_kernels *k)
{
    const char *opt = argv[*i];
    int kernels = !strcmp(opt, "--kernels"), optimize = !strcmp(opt, "--optimize"), weights = !strcmp(opt, "--weights");
    if ((!kernels && !optimize && !weights) || *i + 1 >= argc) return 0; /* not ours, or incomplete: the caller says so */
    const char *v = argv[++*i];
    if (weights) { /* for the whole process: every model this command imports */
        if (strcmp(v, "auto") && strcmp(v, "dense")) {
            fprintf(stderr, "mote %s: --weights must be auto or dense, not '%s'\n", cmd, v);
            return -1;
        }
        mote_passes_sparse_weights(!strcmp(v, "auto"));
        return 1;
    }
    if (kernels ? compile_parse_kernels(v, &k->reference) : mote_optimize_parse(v, &k->optimize)) {
        fprintf(stderr, "mote %s: %s must be %s, not '%s'\n", cmd, opt, kernels ? "opt or ref" : "speed, memory or balanced",
                v);
        return -1;
    }
    return 1;
}

int compile_job_open(compile_job *j, const char *model_path, const char *target, const compile_kernels *k)
{
    char err[1024];
    mote_profile prof;
    memset(j, 0, sizeof *j);
    if (mote_profile_find(target, &prof, err, sizeof err) != 0) {
        fprintf(stderr, "mote: %s\n", err);
        return -1;
    }
    if (compile_job_open_profile(j, model_path, &prof, k, err, sizeof err) != 0) {
        fprintf(stderr, "mote: %s\n", err);
        return -1;
    }
    return 0;
}

int compile_job_open_profile(compile_job *j, const char *model_path, const mote_profile *prof,
                             const compile_kernels *k, char *err, size_t errlen)
{
    static const compile_kernels defaults = {0, MOTE_OPTIMIZE_BALANCED};
    char msg[1024];
    if (!k) k = &defaults;
    memset(j, 0, sizeof *j);
    j->model_path = model_path;
    j->prof = *prof;
    j->optimize = k->optimize;
    /* Instructions for the choice: a missing cost file leaves balanced on the fast kernels. */
    mote_cost_model cm;
    char note[256], cost_err[768];
    int have_cost = mote_cost_load_for(&j->prof, &cm, note, sizeof note, cost_err, sizeof cost_err) == 0;
    j->hm = mote_kernel_choice_load(model_path, profile_isa(&j->prof, k->reference), k->optimize,
                                    have_cost ? &cm : NULL, err, errlen);
    if (have_cost) mote_cost_free(&cm);
    if (!j->hm) return -1;
    if (mote_write_mote(j->hm, &j->mote_file, &j->mote_len, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%s: %s", model_path, msg);
        compile_job_close(j);
        return -1;
    }
    const mote_model *m = &j->hm->m;
    const int ptr = j->prof.ptr_bytes;
    mote_compiled_sizes_of(j->hm, &j->sz);
    size_t io_bytes = 4 * (size_t)(m->n_inputs + m->n_outputs);
    for (int32_t i = 0; i < m->n_nodes; i++) io_bytes += 4 * (size_t)(m->nodes[i].n_in + m->nodes[i].n_out);

    j->c.arena_bytes = j->sz.plan_bytes + j->sz.state_bytes;
    j->c.weights_bytes = j->sz.weights_bytes + j->sz.params_bytes + j->sz.quant_bytes + io_bytes +
                         (size_t)m->n_tensors * mote_abi_tensor_bytes(ptr) + (size_t)m->n_nodes * mote_abi_node_bytes(ptr);
    j->c.code_bytes = CODE_BASE_BYTES + CODE_PER_KERNEL_BYTES * distinct_kernels(m);

    j->mote.arena_bytes = mote_file_arena_for(&j->sz, ptr);
    j->mote.static_ram_bytes = 8 * (size_t)ptr; /* the mote_model handle */
    j->mote.weights_bytes = j->mote_len;
    j->mote.code_bytes = CODE_INTERPRETER_BYTES;
    j->fit_c.fits = mote_profile_fit(&j->prof, &j->c, j->fit_c.msg, sizeof j->fit_c.msg);
    j->fit_mote.fits = mote_profile_fit(&j->prof, &j->mote, j->fit_mote.msg, sizeof j->fit_mote.msg);
    return 0;
}

int compile_job_emit(const compile_job *j, int format, int firmware, const char *dir, const char *prefix,
                     const char *source, char *err, size_t errlen)
{
    if (!source) source = j->model_path;
    if ((format & FORMAT_C) && mote_emit_c(j->hm, dir, prefix, source, j->prof.name, err, errlen) != 0) return -1;
    if (!(format & FORMAT_MOTE)) return 0;
    if (firmware)
        return mote_emit_mote_package(j->mote_file, j->mote_len, j->mote.arena_bytes, dir, source, j->prof.name, err,
                                      errlen);
    char stem[256], path[4096];
    compile_model_stem(j->model_path, stem, sizeof stem);
    snprintf(path, sizeof path, "%s/%s.mote", dir, stem);
    FILE *f = NULL;
    if (emit_mkdirs(dir) != 0 || !(f = fopen(path, "wb")) || fwrite(j->mote_file, 1, j->mote_len, f) != j->mote_len) {
        snprintf(err, errlen, "%s: cannot write", path);
        if (f) fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: cannot write", path);
        return -1;
    }
    return 0;
}

void compile_job_close(compile_job *j)
{
    mote_host_model_free(j->hm);
    free(j->mote_file);
    j->hm = NULL;
    j->mote_file = NULL;
}
