/* mote verify: build the compiled model for a device, run it there (QEMU for
 * Cortex-M profiles, natively for the host), compare every output with the
 * host runtime bit for bit, and measure instructions, RAM and flash. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/emit_util.h"
#include "cli.h"
#include "compile_job.h"
#include "target/fw.h"

#ifndef MOTE_DEFAULT_SHARED
#define MOTE_DEFAULT_SHARED "../shared"
#endif

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote verify MODEL --target PROFILE [--format c|mote|both] [--inputs DIR|FILE]\n"
            "                   [--work DIR] [--layers] [--kernels opt|ref] [--json]\n\n"
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
            "  --kernels K     opt: the fastest kernels for the profile (default); ref: reference ones\n"
            "  --json          one JSON object: model, target, bit_exact, instructions_per_inference,\n"
            "                  arena_bytes, ram_bytes, flash_bytes, then details\n"
            "Exit status: 0 bit-exact, 1 mismatch or failure, 2 usage.\n",
            MOTE_DEFAULT_SHARED);
}

/* Concatenate the in_NN.bin files of a folder (sorted) into one vectors file. */
static int gather_inputs(const char *src, const char *stem, const char *dst, size_t vec_bytes, size_t *n_vec,
                         char *golden_dir, size_t gdlen)
{
    char dir[4096];
    struct stat st;
    golden_dir[0] = 0;
    if (src && stat(src, &st) == 0 && S_ISREG(st.st_mode)) {
        size_t len;
        uint8_t *p = cli_read_file(src, &len);
        if (!p) return -1;
        int rc = 0;
        if (len == 0 || len % vec_bytes) {
            fprintf(stderr, "mote verify: %s: %zu bytes is not a whole number of %zu-byte input vectors\n", src, len, vec_bytes);
            rc = -1;
        } else {
            *n_vec = len / vec_bytes;
            rc = cli_write_file(dst, p, len);
        }
        free(p);
        return rc;
    }
    if (src) snprintf(dir, sizeof dir, "%s", src);
    else {
        const char *shared = getenv("MOTE_SHARED");
        snprintf(dir, sizeof dir, "%s/golden/%s", shared ? shared : MOTE_DEFAULT_SHARED, stem);
    }
    strlist names = {0};
    if (emit_list_dir(dir, ".bin", &names) != 0) {
        fprintf(stderr, "mote verify: cannot read input folder %s (give --inputs)\n", dir);
        return -1;
    }
    FILE *out = fopen(dst, "wb");
    int rc = out ? 0 : -1;
    *n_vec = 0;
    for (int i = 0; i < names.n && rc == 0; i++) {
        if (strncmp(names.v[i], "in_", 3) != 0) continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names.v[i]);
        size_t len;
        uint8_t *p = cli_read_file(path, &len);
        if (!p) rc = -1;
        else if (len != vec_bytes) {
            fprintf(stderr, "mote verify: %s: %zu bytes, the model's inputs take %zu\n", path, len, vec_bytes);
            rc = -1;
        } else if (fwrite(p, 1, len, out) != len) rc = -1;
        else (*n_vec)++;
        free(p);
    }
    if (out && fclose(out) != 0) rc = -1;
    strlist_free(&names);
    if (rc == 0 && *n_vec == 0) {
        fprintf(stderr, "mote verify: no in_NN.bin files in %s\n", dir);
        rc = -1;
    }
    if (rc == 0) snprintf(golden_dir, gdlen, "%s", dir);
    return rc;
}

typedef struct {
    const char *format;
    int ok, bit_exact;
    size_t mismatched, golden_checked, golden_equal;
    uint64_t insns;
    size_t arena, ram, flash;
    mote_fw_result r;
} run_result;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int run_format(compile_job *j, int format, const char *work, const char *vectors, const uint8_t *expect,
                      size_t out_bytes, const char *golden_dir, int layers, run_result *rr)
{
    char pkg[4096], wdir[4096], err[2048];
    const char *name = format == FORMAT_C ? "c" : "mote";
    snprintf(pkg, sizeof pkg, "%s/%s/package", work, name);
    snprintf(wdir, sizeof wdir, "%s/%s/build", work, name);
    memset(rr, 0, sizeof *rr);
    rr->format = name;
    int emitted = format == FORMAT_C
                      ? mote_emit_c(j->hm, pkg, "model", j->model_path, j->prof.name, err, sizeof err)
                      : mote_emit_mote_package(j->mote_file, j->mote_len, j->mote.arena_bytes, pkg, j->model_path,
                                               j->prof.name, err, sizeof err);
    if (emitted != 0) {
        fprintf(stderr, "mote verify: %s\n", err);
        return -1;
    }
    const char *emu = j->prof.emulator, *machine = NULL, *toolchain = j->prof.toolchain;
    if (!strncmp(emu, "qemu-system-arm:", 16)) machine = emu + 16;
    else if (strcmp(emu, "native") != 0) {
        fprintf(stderr, "mote verify: %s has no emulator mote can run (%s); verify it on the board itself\n",
                j->prof.name, emu);
        return -1;
    }
    mote_fw_spec spec = {.work_dir = wdir, .package_dir = pkg, .toolchain = toolchain, .cflags = j->prof.cflags,
                         .machine = machine, .input_path = vectors, .layer_counts = layers};
    if (mote_fw_run(&spec, &rr->r, err, sizeof err) != 0) {
        fprintf(stderr, "mote verify: %s (%s): %s\n", j->prof.name, name, err);
        return -1;
    }
    rr->ok = 1;
    size_t n = rr->r.n_vectors;
    rr->bit_exact = rr->r.outputs_bytes == n * out_bytes;
    for (size_t v = 0; rr->bit_exact && v < n; v++)
        if (memcmp(rr->r.outputs + v * out_bytes, expect + v * out_bytes, out_bytes) != 0) rr->mismatched++;
    if (rr->mismatched) rr->bit_exact = 0;
    /* the golden outputs too, where the folder has them */
    for (size_t v = 0; golden_dir[0] && rr->r.outputs_bytes == n * out_bytes && v < n; v++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/out_%02zu.bin", golden_dir, v);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        uint8_t *g = malloc(out_bytes + 1);
        size_t got = g ? fread(g, 1, out_bytes + 1, f) : 0;
        fclose(f);
        rr->golden_checked++;
        if (got == out_bytes && !memcmp(g, rr->r.outputs + v * out_bytes, out_bytes)) rr->golden_equal++;
        free(g);
    }
    uint64_t *s = malloc(sizeof *s * (n ? n : 1));
    if (s && n) {
        memcpy(s, rr->r.insns, sizeof *s * n);
        qsort(s, n, sizeof *s, cmp_u64);
        rr->insns = s[n / 2];
    }
    free(s);
    rr->arena = format == FORMAT_C ? j->c.arena_bytes : j->mote.arena_bytes;
    rr->ram = rr->r.ram_bytes;
    rr->flash = rr->r.flash_bytes;
    return 0;
}

static json_t *result_json(const compile_job *j, const run_result *rr, int layers)
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

static void print_result(const compile_job *j, const run_result *rr, int layers)
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

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[8192];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(sub);
        else unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

int cmd_verify(int argc, char **argv)
{
    const char *model = NULL, *target = NULL, *inputs = NULL, *work = NULL;
    int format = FORMAT_C, json = 0, layers = 0, reference = 0;
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--layers")) layers = 1;
        else if (!strcmp(a, "--kernels") && i + 1 < argc) {
            if (compile_parse_kernels(argv[++i], &reference) != 0) {
                fprintf(stderr, "mote verify: --kernels must be opt or ref, not '%s'\n", argv[i]);
                return 2;
            }
        }
        else if ((!strcmp(a, "--target") || !strcmp(a, "-t")) && i + 1 < argc) target = argv[++i];
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
    if (compile_job_open(&j, model, target, reference) != 0) return 1;
    char tmp[] = "/tmp/mote-verify-XXXXXX", stem[256], vectors[4096], golden_dir[4096];
    const char *wd = work;
    if (!wd && !(wd = mkdtemp(tmp))) {
        fprintf(stderr, "mote verify: cannot create a temporary folder\n");
        compile_job_close(&j);
        return 1;
    }
    compile_model_stem(model, stem, sizeof stem);
    int rc = emit_mkdirs(wd) == 0 ? 0 : 1;
    snprintf(vectors, sizeof vectors, "%s/vectors.bin", wd);
    size_t in_bytes = mote_host_input_bytes(j.hm), out_bytes = mote_host_output_bytes(j.hm), n_vec = 0;
    if (rc == 0 && gather_inputs(inputs, stem, vectors, in_bytes, &n_vec, golden_dir, sizeof golden_dir) != 0) rc = 1;
    uint8_t *in = NULL, *expect = NULL;
    if (rc == 0) {
        size_t len;
        in = cli_read_file(vectors, &len);
        expect = malloc(n_vec * out_bytes + 1);
        if (!in || !expect) rc = 1;
        for (size_t v = 0; rc == 0 && v < n_vec; v++) mote_host_run(j.hm, in + v * in_bytes, expect + v * out_bytes);
    }
    run_result res[2];
    int n_res = 0;
    for (int f = FORMAT_C; rc == 0 && f <= FORMAT_MOTE; f <<= 1) {
        if (!(format & f)) continue;
        if (run_format(&j, f, wd, vectors, expect, out_bytes, golden_dir, layers, &res[n_res]) != 0) rc = 1;
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
    free(in);
    free(expect);
    if (!work) remove_tree(wd);
    compile_job_close(&j);
    return rc;
}
