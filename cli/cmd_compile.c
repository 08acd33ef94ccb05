/* mote compile: a model for one device, as a C package and/or a .mote file. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "backend/emit_util.h"
#include "driver/compile_job.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote compile MODEL --target PROFILE -o DIR [--format c|mote|both] [--prefix NAME]\n"
            "                    [--kernels opt|ref] [--optimize speed|memory|balanced] [--json]\n\n"
            "Compiles MODEL (.tflite) for the device PROFILE (see 'mote targets'): prepares every\n"
            "kernel's parameters, plans the arena, checks that the model fits the device, and writes\n"
            "  c     DIR/model.c, model.h, the runtime files its kernels need, CMakeLists.txt, model.mk\n"
            "  mote  DIR/<model>.mote, for the interpreter runtime (over-the-air updates)\n"
            "  both  both (default)\n"
            "It refuses, writing nothing, when the model does not fit the device's RAM or flash.\n\n"
            "  --prefix NAME   name of the C API (NAME_init, NAME_input, ...; default model)\n"
            "  --weights W     auto (default): FULLY_CONNECTED and CONV_2D int8 weights stored sparse where\n"
            "                  that is smaller (docs/pruning.md); dense: every weight dense\n"
            "  --kernels K     opt: the fastest kernels for the profile's ISA (default);\n"
            "                  ref: the reference kernels (baseline)\n"
            MOTE_OPTIMIZE_HELP
            "  --json          print the result as JSON\n");
}

static json_t *footprint_json(const mote_footprint *f, const compile_fit *fit)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:b,s:s}", "arena_bytes", (json_int_t)f->arena_bytes, "static_ram_bytes",
                     (json_int_t)f->static_ram_bytes, "weights_bytes", (json_int_t)f->weights_bytes,
                     "code_bytes_estimate", (json_int_t)f->code_bytes, "fits", fit->fits, "fit", fit->msg);
}

int cmd_compile(int argc, char **argv)
{
    const char *model = NULL, *target = NULL, *out = NULL, *prefix = "model";
    int format = FORMAT_BOTH, json = 0, kr;
    compile_kernels kernels = {0, MOTE_OPTIMIZE_BALANCED};
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) json = 1;
        else if ((!strcmp(a, "--target") || !strcmp(a, "-t")) && i + 1 < argc) target = argv[++i];
        else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) out = argv[++i];
        else if (!strcmp(a, "--prefix") && i + 1 < argc) prefix = argv[++i];
        else if ((kr = compile_parse_kernel_option("compile", argc, argv, &i, &kernels)) != 0) {
            if (kr < 0) return 2;
        } else if (!strcmp(a, "--format") && i + 1 < argc) {
            if ((format = compile_parse_format(argv[++i])) < 0) {
                fprintf(stderr, "mote compile: --format must be c, mote or both, not '%s'\n", argv[i]);
                return 2;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "mote compile: unknown or incomplete option '%s' (see --help)\n", a);
            return 2;
        } else if (!model) model = a;
        else {
            fprintf(stderr, "mote compile: one model only ('%s')\n", a);
            return 2;
        }
    }
    if (!model || !target || !out) {
        fprintf(stderr, "mote compile: needs MODEL, --target PROFILE and -o DIR (see --help)\n");
        return 2;
    }
    for (const char *p = prefix; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') || (p == prefix && *p >= '0' && *p <= '9')) {
            fprintf(stderr, "mote compile: --prefix must be a lowercase C identifier, not '%s'\n", prefix);
            return 2;
        }

    compile_job j;
    if (compile_job_open(&j, model, target, &kernels) != 0) return 1;
    char stem[256], err[1024];
    compile_model_stem(model, stem, sizeof stem);
    const compile_fit *fit_c = &j.fit_c, *fit_m = &j.fit_mote;
    int rc = 0;
    if (((format & FORMAT_C) && !fit_c->fits) || ((format & FORMAT_MOTE) && !fit_m->fits)) {
        if ((format & FORMAT_C) && !fit_c->fits) fprintf(stderr, "mote compile: %s does not fit as C: %s\n", model, fit_c->msg);
        if ((format & FORMAT_MOTE) && !fit_m->fits)
            fprintf(stderr, "mote compile: %s does not fit as .mote: %s\n", model, fit_m->msg);
        rc = 1;
    }
    if (rc == 0 && compile_job_emit(&j, format, 0, out, prefix, model, err, sizeof err) != 0) {
        fprintf(stderr, "mote compile: %s\n", err);
        rc = 1;
    }
    char mote_path[4096];
    snprintf(mote_path, sizeof mote_path, "%s/%s.mote", out, stem);
    if (json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "model", model, "target", j.prof.name, "output", out,
                              "plan_bytes", (json_int_t)j.sz.plan_bytes, "state_bytes", (json_int_t)j.sz.state_bytes,
                              "weights_bytes", (json_int_t)j.sz.weights_bytes, "params_bytes",
                              (json_int_t)j.sz.params_bytes, "mote_file_bytes", (json_int_t)j.mote_len);
        json_object_set_new(o, "optimize", json_string(mote_optimize_name(j.optimize)));
        if (format & FORMAT_C) json_object_set_new(o, "c", footprint_json(&j.c, fit_c));
        if (format & FORMAT_MOTE) json_object_set_new(o, "mote", footprint_json(&j.mote, fit_m));
        json_object_set_new(o, "ok", json_boolean(rc == 0));
        json_dumpf(o, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(o);
    } else if (rc == 0) {
        printf("%s for %s (%s)\n", model, j.prof.name, j.prof.board);
        printf("  planned arena %zu bytes (activations + scratch), kernel state %zu, weights %zu, parameters %zu\n",
               j.sz.plan_bytes, j.sz.state_bytes, j.sz.weights_bytes, j.sz.params_bytes);
        if (format & FORMAT_C) printf("  C package  %s/model.c: %s\n", out, fit_c->msg);
        if (format & FORMAT_MOTE)
            printf("  .mote      %s (%zu bytes, arena %zu): %s\n", mote_path, j.mote_len, j.mote.arena_bytes, fit_m->msg);
        printf("  code sizes are estimates; 'mote verify' measures the firmware\n");
    }
    compile_job_close(&j);
    return rc;
}
