/* mote verify: build the compiled model for a device, run it there (QEMU for
 * Cortex-M profiles, natively for the host), compare every output with the
 * host runtime bit for bit, and measure instructions, RAM and flash. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "driver/compile_job.h"
#include "device_run.h"

#ifndef MOTE_DEFAULT_SHARED
#define MOTE_DEFAULT_SHARED "../shared"
#endif

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote verify MODEL --target PROFILE [--format c|mote|both] [--inputs DIR|FILE]\n"
            "                   [--work DIR] [--layers] [--kernels opt|ref]\n"
            "                   [--optimize speed|memory|balanced] [--json]\n\n"
            "Compiles MODEL for PROFILE, builds the firmware with the profile's toolchain, runs it\n"
            "(Cortex-M profiles under qemu-system-arm, the host natively), feeds it the input\n"
            "vectors and compares every output byte with the host runtime. Reports instructions\n"
            "per inference (QEMU: exact guest instructions; host: callgrind), arena bytes, RAM bytes\n"
            "(static data + bss + stack high-water mark) and flash bytes (code + weights).\n\n"
            "  --format F      c (default), mote (interpreter + .mote file) or both\n"
            "  --inputs X      a folder of in_NN.bin files (default: <shared>/golden/<model>, where\n"
            "                  <shared> is $MOTE_SHARED or %s), or one file of vectors back to back\n"
            "  --work DIR      keep the build in DIR (default: a temporary folder, removed)\n"
            "  --layers        also count instructions per layer\n"
            "  --weights W     auto (default): FULLY_CONNECTED and CONV_2D int8 weights stored sparse where\n"
            "                  that is smaller (docs/pruning.md); dense: every weight dense\n"
            "  --kernels K     opt: the fastest kernels for the profile (default); ref: reference ones\n"
            MOTE_OPTIMIZE_HELP
            "  --json          one JSON object: model, target, bit_exact, instructions_per_inference,\n"
            "                  arena_bytes, ram_bytes, flash_bytes, then details\n"
            "Exit status: 0 bit-exact, 1 mismatch or failure, 2 usage.\n",
            MOTE_DEFAULT_SHARED);
}

static json_t *result_json(const compile_job *j, const device_result *rr, int layers)
{
    json_t *o = json_pack("{s:s,s:s,s:b,s:I,s:I,s:I,s:I}", "model", j->model_path, "target", j->prof.name, "bit_exact",
                          rr->bit_exact, "instructions_per_inference", (json_int_t)rr->insns, "arena_bytes",
                          (json_int_t)rr->arena, "ram_bytes", (json_int_t)rr->ram, "flash_bytes", (json_int_t)rr->flash);
    json_object_set_new(o, "format", json_string(rr->format));
    json_object_set_new(o, "vectors", json_integer((json_int_t)rr->r.n_vectors));
    json_object_set_new(o, "golden_vectors_equal", json_integer((json_int_t)rr->golden_equal));
    json_object_set_new(o, "golden_vectors_checked", json_integer((json_int_t)rr->golden_checked));
    json_object_set_new(o, "stack_bytes", json_integer((json_int_t)rr->r.stack_bytes));
    json_object_set_new(o, "data_bytes", json_integer((json_int_t)rr->r.data_bytes));
    json_object_set_new(o, "bss_bytes", json_integer((json_int_t)rr->r.bss_bytes));
    json_object_set_new(o, "text_bytes", json_integer((json_int_t)rr->r.text_bytes));
    json_object_set_new(o, "rodata_bytes", json_integer((json_int_t)rr->r.rodata_bytes));
    json_object_set_new(o, "core", json_string(mote_core_name(j->prof.core)));
    json_object_set_new(o, "optimize", json_string(mote_optimize_name(j->optimize)));
    if (layers && rr->r.layer_insns) {
        json_t *a = json_array();
        for (size_t k = 0; k < rr->r.n_layers; k++) {
            const mote_node *n = k < (size_t)j->hm->m.n_nodes ? &j->hm->m.nodes[k] : NULL;
            json_array_append_new(a, json_pack("{s:i,s:s,s:I,s:I}", "layer", (int)k, "op",
                                               n ? mote_op_name((mote_op)n->op) : "?", "file_op",
                                               (json_int_t)(n ? j->hm->plan.order[k] : -1), "instructions",
                                               (json_int_t)rr->r.layer_insns[k]));
        }
        json_object_set_new(o, "layers", a);
    }
    return o;
}

static void print_result(const compile_job *j, const device_result *rr, int layers)
{
    printf("%s on %s (%s, %s): %s\n", j->model_path, j->prof.name, mote_core_name(j->prof.core), rr->format,
           rr->bit_exact ? "bit-exact" : "MISMATCH");
    printf("  vectors %zu, equal to the host runtime: %zu", rr->r.n_vectors, rr->r.n_vectors - rr->mismatched);
    if (rr->golden_checked) printf(", to the golden outputs: %zu of %zu", rr->golden_equal, rr->golden_checked);
    printf("\n  instructions per inference %llu\n", (unsigned long long)rr->insns);
    printf("  arena %zu bytes, RAM %zu bytes (data %zu + bss %zu + stack %zu)\n", rr->arena, rr->ram, rr->r.data_bytes,
           rr->r.bss_bytes, rr->r.stack_bytes);
    printf("  flash %zu bytes (text %zu + rodata %zu + data %zu)\n", rr->flash, rr->r.text_bytes, rr->r.rodata_bytes,
           rr->r.data_bytes);
    if (layers && rr->r.layer_insns) {
        printf("  layer  op                          instructions\n");
        for (size_t k = 0; k < rr->r.n_layers && k < (size_t)j->hm->m.n_nodes; k++)
            printf("  %5zu  %-26s %13llu\n", k, mote_op_name((mote_op)j->hm->m.nodes[k].op),
                   (unsigned long long)rr->r.layer_insns[k]);
    }
}

int cmd_verify(int argc, char **argv)
{
    const char *model = NULL, *target = NULL, *inputs = NULL, *work = NULL;
    int format = FORMAT_C, json = 0, layers = 0, kr;
    compile_kernels kernels = {0, MOTE_OPTIMIZE_BALANCED};
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--layers")) layers = 1;
        else if ((kr = compile_parse_kernel_option("verify", argc, argv, &i, &kernels)) != 0) {
            if (kr < 0) return 2;
        } else if ((!strcmp(a, "--target") || !strcmp(a, "-t")) && i + 1 < argc) target = argv[++i];
        else if (!strcmp(a, "--inputs") && i + 1 < argc) inputs = argv[++i];
        else if (!strcmp(a, "--work") && i + 1 < argc) work = argv[++i];
        else if (!strcmp(a, "--format") && i + 1 < argc) {
            if ((format = compile_parse_format(argv[++i])) < 0) {
                fprintf(stderr, "mote verify: --format must be c, mote or both, not '%s'\n", argv[i]);
                return 2;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "mote verify: unknown or incomplete option '%s' (see --help)\n", a);
            return 2;
        } else if (!model) model = a;
        else {
            fprintf(stderr, "mote verify: one model only ('%s')\n", a);
            return 2;
        }
    }
    if (!model || !target) {
        fprintf(stderr, "mote verify: needs MODEL and --target PROFILE (see --help)\n");
        return 2;
    }
    compile_job j;
    if (compile_job_open(&j, model, target, &kernels) != 0) return 1;
    device_session ses;
    int rc = device_session_open(&ses, "mote verify", &j, inputs, work) == 0 ? 0 : 1;
    device_result res[2];
    int n_res = 0;
    for (int f = FORMAT_C; rc == 0 && f <= FORMAT_MOTE; f <<= 1) {
        if (!(format & f)) continue;
        if (device_run(&ses, f, f == FORMAT_C ? "c" : "mote", 0, layers, &res[n_res]) != 0) rc = 1;
        else n_res++;
    }
    for (int k = 0; rc == 0 && k < n_res; k++)
        if (!res[k].bit_exact) rc = 1;
    if (n_res && json) {
        json_t *o = result_json(&j, &res[0], layers);
        if (n_res > 1) json_object_set_new(o, res[1].format, result_json(&j, &res[1], layers));
        json_dumpf(o, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(o);
    } else {
        for (int k = 0; k < n_res; k++) print_result(&j, &res[k], layers);
    }
    for (int k = 0; k < n_res; k++) mote_fw_result_free(&res[k].r);
    device_session_close(&ses);
    compile_job_close(&j);
    return rc;
}
