/* Run a compiled model on its device (or emulator) and check it bit for bit:
 * the part of `mote verify` that `mote bench` reuses. */
#include "device_run.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/emit_util.h"
#include "cli.h"

#ifndef MOTE_DEFAULT_SHARED
#define MOTE_DEFAULT_SHARED "../shared"
#endif

const char *device_shared_dir(void)
{
    const char *shared = getenv("MOTE_SHARED");
    return shared && *shared ? shared : MOTE_DEFAULT_SHARED;
}

/* Concatenate the in_NN.bin files of a folder (sorted) into one vectors file. */
static int gather_inputs(device_session *s, const char *src, const char *stem)
{
    char dir[DEVICE_PATH];
    struct stat st;
    s->golden_dir[0] = 0;
    if (src && stat(src, &st) == 0 && S_ISREG(st.st_mode)) {
        size_t len;
        uint8_t *p = cli_read_file(src, &len);
        if (!p) return -1;
        int rc = 0;
        if (len == 0 || len % s->in_bytes) {
            fprintf(stderr, "%s: %s: %zu bytes is not a whole number of %zu-byte input vectors\n", s->cmd, src, len,
                    s->in_bytes);
            rc = -1;
        } else {
            s->n_vec = len / s->in_bytes;
            rc = cli_write_file(s->vectors, p, len);
        }
        free(p);
        return rc;
    }
    if (src) snprintf(dir, sizeof dir, "%s", src);
    else snprintf(dir, sizeof dir, "%s/golden/%s", device_shared_dir(), stem);
    strlist names = {0};
    if (emit_list_dir(dir, ".bin", &names) != 0) {
        fprintf(stderr, "%s: cannot read input folder %s (give --inputs)\n", s->cmd, dir);
        return -1;
    }
    FILE *out = fopen(s->vectors, "wb");
    int rc = out ? 0 : -1;
    s->n_vec = 0;
    for (int i = 0; i < names.n && rc == 0; i++) {
        if (strncmp(names.v[i], "in_", 3) != 0) continue;
        char path[2 * DEVICE_PATH];
        snprintf(path, sizeof path, "%s/%s", dir, names.v[i]);
        size_t len;
        uint8_t *p = cli_read_file(path, &len);
        if (!p) rc = -1;
        else if (len != s->in_bytes) {
            fprintf(stderr, "%s: %s: %zu bytes, the model's inputs take %zu\n", s->cmd, path, len, s->in_bytes);
            rc = -1;
        } else if (fwrite(p, 1, len, out) != len) rc = -1;
        else s->n_vec++;
        free(p);
    }
    if (out && fclose(out) != 0) rc = -1;
    strlist_free(&names);
    if (rc == 0 && s->n_vec == 0) {
        fprintf(stderr, "%s: no in_NN.bin files in %s\n", s->cmd, dir);
        rc = -1;
    }
    if (rc == 0) snprintf(s->golden_dir, sizeof s->golden_dir, "%s", dir);
    return rc;
}

int device_session_open(device_session *s, const char *cmd, compile_job *j, const char *inputs, const char *work)
{
    memset(s, 0, sizeof *s);
    s->cmd = cmd;
    s->job = j;
    if (work) snprintf(s->work, sizeof s->work, "%s", work);
    else {
        snprintf(s->work, sizeof s->work, "/tmp/mote-%s-XXXXXX", strrchr(cmd, ' ') ? strrchr(cmd, ' ') + 1 : cmd);
        if (!mkdtemp(s->work)) {
            fprintf(stderr, "%s: cannot create a temporary folder\n", cmd);
            s->work[0] = 0;
            return -1;
        }
        s->temp = 1;
    }
    if (emit_mkdirs(s->work) != 0) {
        fprintf(stderr, "%s: cannot create %s\n", cmd, s->work);
        return -1;
    }
    char stem[256];
    compile_model_stem(j->model_path, stem, sizeof stem);
    snprintf(s->vectors, sizeof s->vectors, "%s/vectors.bin", s->work);
    s->in_bytes = mote_host_input_bytes(j->hm);
    s->out_bytes = mote_host_output_bytes(j->hm);
    if (gather_inputs(s, inputs, stem) != 0) return -1;
    size_t len;
    s->in = cli_read_file(s->vectors, &len);
    s->expect = malloc(s->n_vec * s->out_bytes + 1);
    if (!s->in || !s->expect || len != s->n_vec * s->in_bytes) {
        fprintf(stderr, "%s: cannot read back %s\n", cmd, s->vectors);
        return -1;
    }
    for (size_t v = 0; v < s->n_vec; v++) mote_host_run(j->hm, s->in + v * s->in_bytes, s->expect + v * s->out_bytes);
    return 0;
}

void device_session_close(device_session *s)
{
    free(s->in);
    free(s->expect);
    if (s->temp && s->work[0]) device_remove_tree(s->work);
    memset(s, 0, sizeof *s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Compare with the host runtime and, where the folder has them, the golden outputs. */
static void check_outputs(const device_session *s, device_result *rr)
{
    size_t n = rr->r.n_vectors, ob = s->out_bytes;
    int sized = rr->r.outputs_bytes == n * ob && n <= s->n_vec;
    rr->bit_exact = sized;
    for (size_t v = 0; sized && v < n; v++)
        if (memcmp(rr->r.outputs + v * ob, s->expect + v * ob, ob) != 0) rr->mismatched++;
    if (rr->mismatched) rr->bit_exact = 0;
    for (size_t v = 0; s->golden_dir[0] && sized && v < n; v++) {
        char path[2 * DEVICE_PATH];
        snprintf(path, sizeof path, "%s/out_%02zu.bin", s->golden_dir, v);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        uint8_t *g = malloc(ob + 1);
        size_t got = g ? fread(g, 1, ob + 1, f) : 0;
        fclose(f);
        rr->golden_checked++;
        if (got == ob && !memcmp(g, rr->r.outputs + v * ob, ob)) rr->golden_equal++;
        free(g);
    }
}

int device_run(device_session *s, int format, const char *tag, size_t n_vec, int layers, device_result *rr)
{
    compile_job *j = s->job;
    char pkg[DEVICE_PATH + 64], wdir[DEVICE_PATH + 64], vec[DEVICE_PATH + 64], err[2048];
    const char *name = format == FORMAT_C ? "c" : "mote";
    snprintf(pkg, sizeof pkg, "%s/%s/package", s->work, tag);
    snprintf(wdir, sizeof wdir, "%s/%s/build", s->work, tag);
    memset(rr, 0, sizeof *rr);
    rr->format = name;
    const char *emu = j->prof.emulator, *machine = NULL;
    if (!strncmp(emu, "qemu-system-arm:", 16)) machine = emu + 16;
    else if (!strcmp(emu, "qemu-aarch64")) machine = emu; /* user mode: no machine, the binary runs as a process */
    else if (strcmp(emu, "native") != 0) {
        fprintf(stderr, "%s: %s has no emulator mote can run (%s); measure it on the board itself\n", s->cmd,
                j->prof.name, emu);
        return -1;
    }
    if (compile_job_emit(j, format, 1, pkg, "model", NULL, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", s->cmd, err);
        return -1;
    }
    /* a prefix of the vectors: its own file beside the package */
    snprintf(vec, sizeof vec, "%s", s->vectors);
    if (n_vec && n_vec < s->n_vec) {
        snprintf(vec, sizeof vec, "%s/%s/vectors.bin", s->work, tag);
        if (cli_write_file(vec, s->in, n_vec * s->in_bytes) != 0) return -1;
    }
    mote_fw_spec spec = {.work_dir = wdir, .package_dir = pkg, .toolchain = j->prof.toolchain,
                         .cflags = j->prof.cflags, .machine = machine, .input_path = vec, .layer_counts = layers};
    if (mote_fw_run(&spec, &rr->r, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s (%s): %s\n", s->cmd, j->prof.name, name, err);
        return -1;
    }
    rr->ok = 1;
    check_outputs(s, rr);
    size_t n = rr->r.n_vectors;
    uint64_t *sorted = malloc(sizeof *sorted * (n ? n : 1));
    if (sorted && n) {
        memcpy(sorted, rr->r.insns, sizeof *sorted * n);
        qsort(sorted, n, sizeof *sorted, cmp_u64);
        rr->insns = sorted[n / 2];
    }
    free(sorted);
    rr->arena = format == FORMAT_C ? j->c.arena_bytes : j->mote.arena_bytes;
    rr->ram = rr->r.ram_bytes;
    rr->flash = rr->r.flash_bytes;
    return 0;
}

void device_remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[2 * DEVICE_PATH];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) device_remove_tree(sub);
        else unlink(sub);
    }
    closedir(d);
    rmdir(path);
}
