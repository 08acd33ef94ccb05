/* Firmware runner: compile a model package with the harness in targets/qemu,
 * link, run over the input vectors on QEMU (instruction counts from the TCG
 * plugin) or natively under callgrind, and collect outputs and sizes. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include "target/fw.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw_util.h"

#ifndef MOTE_QEMU_DIR
#define MOTE_QEMU_DIR "targets/qemu"
#endif

#define FW_PATH 4096 /* paths built from FW_DIR-sized directories plus a short name */
#define FW_DIR 2048
#define COMPILE_TIMEOUT 300

typedef struct {
    char **v;
    size_t n, cap;
} strvec;

static int sv_push(strvec *s, const char *str) {
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 32;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v) return -1;
        s->v = v, s->cap = cap;
    }
    if (!(s->v[s->n] = strdup(str))) return -1;
    s->v[++s->n] = NULL; /* always NULL-terminated: usable as argv */
    return 0;
}

static int sv_pushf(strvec *s, const char *fmt, ...) {
    char buf[FW_PATH + 64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= sizeof buf ? -1 : sv_push(s, buf);
}

static int sv_split(strvec *s, const char *flags) {
    char tok[512];
    while (flags && *flags) {
        size_t n = strspn(flags, " \t\n");
        flags += n;
        n = strcspn(flags, " \t\n");
        if (n == 0) break;
        if (n >= sizeof tok) return -1;
        memcpy(tok, flags, n);
        tok[n] = 0;
        if (sv_push(s, tok) != 0) return -1;
        flags += n;
    }
    return 0;
}

static void sv_free(strvec *s) {
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

typedef struct {
    const mote_fw_spec *spec;
    int host;
    int user; /* qemu-aarch64: a static Linux binary (stdio harness) under QEMU's user mode */
    int run_timeout;
    char work[FW_DIR], qemu[FW_DIR];
    char *err;
    size_t errlen;
} fw_ctx;

static int fail(fw_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void wpath(const fw_ctx *c, char *out, const char *name) { snprintf(out, FW_PATH, "%s/%.200s", c->work, name); }

/* Runs one build command (in the caller's directory, so relative package paths
 * work); on failure the error names the step, what and the log. */
static int run_step(fw_ctx *c, const char *step, const char *what, const strvec *argv, const char *log, int timeout) {
    int rc = fw_exec((const char *const *)argv->v, NULL, log, timeout);
    if (rc == 0) return 0;
    if (rc == -2) return fail(c, "%s: %s timed out after %d s, see %s", step, what, timeout, log);
    if (rc == -1) return fail(c, "%s: cannot run %s (installed? scripts/install-deps.sh), see %s", step, argv->v[0], log);
    return fail(c, "%s: %s failed (exit %d), see %s", step, what, rc, log);
}

static int mkdir_p(const char *path) {
    char buf[FW_PATH];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* All *.c of the package, sorted so that builds are reproducible. */
static int package_sources(fw_ctx *c, strvec *out) {
    DIR *d = opendir(c->spec->package_dir);
    if (!d) return fail(c, "setup: cannot open package_dir %s: %s", c->spec->package_dir, strerror(errno));
    struct dirent *e;
    size_t first = out->n;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] != '.' && n > 2 && !strcmp(e->d_name + n - 2, ".c") &&
            sv_pushf(out, "%s/%s", c->spec->package_dir, e->d_name) != 0) {
            closedir(d);
            return fail(c, "setup: out of memory");
        }
    }
    closedir(d);
    if (out->n == first) return fail(c, "setup: no .c files in package_dir %s", c->spec->package_dir);
    qsort(out->v + first, out->n - first, sizeof *out->v, cmp_str);
    return 0;
}

static int compile_all(fw_ctx *c, strvec *objs) {
    const mote_fw_spec *s = c->spec;
    strvec srcs = {0}, argv = {0};
    int rc = -1;
    char log[FW_PATH], obj_dir[FW_PATH];
    wpath(c, log, "compile.log");
    wpath(c, obj_dir, "obj");
    if (mkdir_p(obj_dir) != 0) {
        fail(c, "setup: cannot create %s: %s", obj_dir, strerror(errno));
        goto out;
    }
    if (sv_pushf(&srcs, "%s/%s", c->qemu, c->host || c->user ? "fw_host.c" : "startup.c") ||
        sv_pushf(&srcs, "%s/fw_main.c", c->qemu))
        goto oom;
    if (package_sources(c, &srcs) != 0) goto out;
    for (size_t i = 0; s->extra_sources && s->extra_sources[i]; i++)
        if (sv_push(&srcs, s->extra_sources[i])) goto oom;
    for (size_t i = 0; i < srcs.n; i++) {
        const char *base = strrchr(srcs.v[i], '/') ? strrchr(srcs.v[i], '/') + 1 : srcs.v[i];
        char obj[FW_PATH];
        int stem = (int)strlen(base) - 2; /* drop ".c" */
        if (snprintf(obj, sizeof obj, "%s/%03zu_%.*s.o", obj_dir, i, stem < 200 ? stem : 200, base) >= (int)sizeof obj)
            goto oom;
        sv_free(&argv);
        if (sv_push(&argv, s->toolchain) || sv_split(&argv, s->cflags) || sv_split(&argv,
            "-O2 -std=c99 -Wall -Wextra -Werror -ffp-contract=off -ffunction-sections -fdata-sections"))
            goto oom;
        if (s->layer_counts && sv_push(&argv, "-DMOTE_LAYER_MARKS")) goto oom;
        if (sv_push(&argv, "-I") || sv_push(&argv, s->package_dir)) goto oom;
        for (size_t k = 0; s->include_dirs && s->include_dirs[k]; k++)
            if (sv_push(&argv, "-I") || sv_push(&argv, s->include_dirs[k])) goto oom;
        if (sv_push(&argv, "-c") || sv_push(&argv, srcs.v[i]) || sv_push(&argv, "-o") || sv_push(&argv, obj) ||
            sv_push(objs, obj))
            goto oom;
        if (run_step(c, "compile", srcs.v[i], &argv, log, COMPILE_TIMEOUT) != 0) goto out;
    }
    rc = 0;
    goto out;
oom:
    fail(c, "setup: out of memory or path too long");
out:
    sv_free(&srcs);
    sv_free(&argv);
    return rc;
}

static int link_fw(fw_ctx *c, const strvec *objs, const char *exe) {
    const mote_fw_spec *s = c->spec;
    strvec argv = {0};
    char log[FW_PATH];
    wpath(c, log, "link.log");
    int bad = sv_push(&argv, s->toolchain) || sv_split(&argv, s->cflags) || sv_push(&argv, "-Wl,--gc-sections");
    if (c->user) bad = bad || sv_split(&argv, "-static -no-pie"); /* fixed marker addresses for the plugin */
    else if (!c->host)
        bad = bad || sv_pushf(&argv, "-T%s/%s.ld", c->qemu, s->machine) || sv_pushf(&argv, "-L%s", c->qemu) ||
              sv_split(&argv, "-nostartfiles --specs=nano.specs --specs=nosys.specs") ||
              sv_pushf(&argv, "-Wl,-Map=%s/fw.map", c->work);
    for (size_t i = 0; i < objs->n; i++) bad = bad || sv_push(&argv, objs->v[i]);
    bad = bad || sv_push(&argv, "-lm") || sv_push(&argv, "-o") || sv_push(&argv, exe);
    int rc = bad ? fail(c, "setup: out of memory") : run_step(c, "link", exe, &argv, log, COMPILE_TIMEOUT);
    sv_free(&argv);
    return rc;
}

/* The plugin is built once per work_dir and rebuilt when its source is newer. */
static int build_plugin(fw_ctx *c, char *so) {
    char src[FW_PATH], tmp[FW_PATH], log[FW_PATH];
    snprintf(src, sizeof src, "%s/insncount.c", c->qemu);
    wpath(c, so, "libinsncount.so");
    wpath(c, tmp, "libinsncount.so.tmp");
    wpath(c, log, "plugin.log");
    struct stat ss, st;
    if (stat(src, &ss) != 0) return fail(c, "plugin build: cannot find %s", src);
    if (stat(so, &st) == 0 && st.st_mtime >= ss.st_mtime) return 0;
    strvec argv = {0};
    int rc = sv_split(&argv, "cc -O2 -shared -fPIC -o") || sv_push(&argv, tmp) || sv_push(&argv, src)
                 ? fail(c, "setup: out of memory")
                 : run_step(c, "plugin build", src, &argv, log, COMPILE_TIMEOUT);
    sv_free(&argv);
    if (rc == 0 && rename(tmp, so) != 0) rc = fail(c, "plugin build: cannot rename %s: %s", tmp, strerror(errno));
    return rc;
}

/* Why the harness stopped: its own "mote-fw: error" line, or the fault exit codes of startup.c. */
static int run_failed(fw_ctx *c, const char *step, int rc, const char *log) {
    size_t len;
    char *txt = fw_slurp(log, &len), why[256] = "";
    const char *e = txt ? strstr(txt, "mote-fw: error ") : NULL;
    if (e) snprintf(why, sizeof why, ": %.*s", (int)strcspn(e + 15, "\n"), e + 15);
    else if (!c->host && rc == 126) snprintf(why, sizeof why, ": HardFault in the firmware");
    else if (!c->host && rc == 125) snprintf(why, sizeof why, ": unexpected exception in the firmware");
    else if (!c->host && rc == 134) snprintf(why, sizeof why, ": CPU lockup (fault while stacking: stack overflow?)");
    free(txt);
    if (rc == -2) return fail(c, "%s: timed out after %d s (MOTE_FW_TIMEOUT), see %s", step, c->run_timeout, log);
    if (rc == -1)
        return fail(c, "%s: cannot run %s (installed? scripts/install-deps.sh), see %s", step,
                    c->host ? "valgrind" : (c->user ? "qemu-aarch64" : "qemu-system-arm"), log);
    return fail(c, "%s: exit status %d%s, see %s", step, rc, why, log);
}

static int sym(fw_ctx *c, const char *elf, const char *name, uint64_t *v) {
    return fw_elf_symbol(elf, name, v) == 0 ? 0 : fail(c, "link: symbol %s missing in %s", name, elf);
}

static int run_qemu(fw_ctx *c, const char *elf) {
    char so[FW_PATH], log[FW_PATH], ilog[FW_PATH];
    uint64_t a0, a1, al = 0;
    if (build_plugin(c, so) != 0 || sym(c, elf, "bench_start", &a0) || sym(c, elf, "bench_stop", &a1) ||
        (c->spec->layer_counts && sym(c, elf, "mote_layer_mark", &al)))
        return -1;
    wpath(c, log, "run.log");
    wpath(c, ilog, "insns.log");
    remove(ilog);
    strvec argv = {0};
    int bad = c->user ? sv_push(&argv, "qemu-aarch64")
                      : sv_push(&argv, "qemu-system-arm") || sv_push(&argv, "-M") || sv_push(&argv, c->spec->machine) ||
                            sv_split(&argv, "-nographic -monitor none -serial null -semihosting-config enable=on,target=native") ||
                            sv_push(&argv, "-kernel") || sv_push(&argv, elf);
    bad = bad || sv_push(&argv, "-plugin") ||
              (al ? sv_pushf(&argv, "%s,start=0x%llx,stop=0x%llx,layer=0x%llx", so, (unsigned long long)a0,
                             (unsigned long long)a1, (unsigned long long)al)
                  : sv_pushf(&argv, "%s,start=0x%llx,stop=0x%llx", so, (unsigned long long)a0, (unsigned long long)a1)) ||
              sv_push(&argv, "-d") || sv_push(&argv, "plugin") || sv_push(&argv, "-D") || sv_push(&argv, ilog) ||
              (c->user && sv_push(&argv, elf)); /* user mode: the program comes last */
    int rc = bad ? -1 : fw_exec((const char *const *)argv.v, c->work, log, c->run_timeout);
    sv_free(&argv);
    if (bad) return fail(c, "setup: out of memory");
    return rc == 0 ? 0 : run_failed(c, "qemu run", rc, log);
}

/* Callgrind: collect only inside mote_fw_invoke and dump after each call (and
 * before each layer mark), so every dump file holds one piece of one invoke. */
static int run_host(fw_ctx *c, const char *exe) {
    char log[FW_PATH];
    wpath(c, log, "run.log");
    DIR *d = opendir(c->work);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "callgrind.out", 13)) {
            char p[FW_PATH];
            wpath(c, p, e->d_name);
            remove(p);
        }
    if (d) closedir(d);
    strvec argv = {0};
    int bad = sv_split(&argv, "valgrind --tool=callgrind --collect-atstart=no --toggle-collect=mote_fw_invoke "
                              "--dump-after=mote_fw_invoke") ||
              sv_pushf(&argv, "--callgrind-out-file=%s/callgrind.out", c->work) ||
              (c->spec->layer_counts && sv_push(&argv, "--dump-before=mote_layer_mark")) || sv_push(&argv, exe);
    int rc = bad ? -1 : fw_exec((const char *const *)argv.v, c->work, log, c->run_timeout);
    sv_free(&argv);
    if (bad) return fail(c, "setup: out of memory");
    return rc == 0 ? 0 : run_failed(c, "host run", rc, log);
}

static int check_spec(fw_ctx *c) {
    const mote_fw_spec *s = c->spec;
    if (!s->work_dir || !s->package_dir || !s->toolchain || !s->input_path)
        return fail(c, "setup: work_dir, package_dir, toolchain and input_path are required");
    static const char *const machines[] = {"mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505", "qemu-aarch64"};
    int known = 0;
    for (size_t i = 0; i < sizeof machines / sizeof machines[0]; i++)
        known |= s->machine && !strcmp(s->machine, machines[i]);
    if (s->machine && !known)
        return fail(c, "setup: unknown machine '%s' (mps2-an385, mps2-an386, mps2-an500, mps2-an505, qemu-aarch64)",
                    s->machine);
    const char *v = getenv("MOTE_FW_TIMEOUT");
    c->run_timeout = v && atoi(v) > 0 ? atoi(v) : 600;
    v = getenv("MOTE_QEMU_DIR");
    v = v && *v ? v : MOTE_QEMU_DIR;
    if (strlen(v) >= sizeof c->qemu) return fail(c, "setup: MOTE_QEMU_DIR path too long");
    memcpy(c->qemu, v, strlen(v) + 1);
    char abs[FW_PATH];
    if (mkdir_p(s->work_dir) != 0 || !realpath(s->work_dir, abs))
        return fail(c, "setup: cannot create work_dir %s: %s", s->work_dir, strerror(errno));
    if (strlen(abs) >= sizeof c->work) return fail(c, "setup: work_dir path too long: %s", abs);
    memcpy(c->work, abs, strlen(abs) + 1);
    if (strpbrk(c->work, ",%")) return fail(c, "setup: work_dir %s must not contain ',' or '%%'", c->work);
    return 0;
}

/* in.bin in work_dir is a symlink to the vectors: the harness opens it by that name. */
static int link_input(fw_ctx *c) {
    char in[FW_PATH], abs[FW_PATH], out[FW_PATH];
    if (!realpath(c->spec->input_path, abs))
        return fail(c, "setup: cannot read input_path %s: %s", c->spec->input_path, strerror(errno));
    wpath(c, in, "in.bin");
    wpath(c, out, "out.bin");
    remove(out);
    if (!strcmp(abs, in)) return 0;
    remove(in);
    return symlink(abs, in) == 0 ? 0 : fail(c, "setup: cannot create %s: %s", in, strerror(errno));
}

int mote_fw_run(const mote_fw_spec *spec, mote_fw_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    fw_ctx c = {.spec = spec, .err = err, .errlen = errlen};
    if (!spec) return fail(&c, "setup: no spec");
    c.host = spec->machine == NULL;
    c.user = spec->machine && !strcmp(spec->machine, "qemu-aarch64");
    if (check_spec(&c) != 0) return -1;
    /* Fresh logs for this run; each step appends to its own. */
    static const char *const logs[] = {"compile.log", "link.log", "plugin.log", "run.log"};
    for (size_t i = 0; i < 4; i++) {
        char p[FW_PATH];
        wpath(&c, p, logs[i]);
        remove(p);
    }
    strvec objs = {0};
    char exe[FW_PATH];
    wpath(&c, exe, c.host ? "fw_host" : "fw.elf");
    int rc = compile_all(&c, &objs);
    if (rc == 0) rc = link_fw(&c, &objs, exe);
    sv_free(&objs);
    if (rc == 0) rc = link_input(&c);
    if (rc == 0) rc = c.host ? run_host(&c, exe) : run_qemu(&c, exe);
    if (rc == 0) rc = fw_parse_results(c.work, c.host, spec->layer_counts, res, err, errlen);
    fw_elf_sizes sz;
    if (rc == 0 && (rc = fw_elf_read_sizes(exe, &sz, err, errlen)) == 0) {
        res->text_bytes = sz.text, res->rodata_bytes = sz.rodata;
        res->data_bytes = sz.data, res->bss_bytes = sz.bss;
        res->flash_bytes = sz.load_bytes;
        res->ram_bytes = sz.data + sz.bss + res->stack_bytes;
    }
    if (rc != 0) mote_fw_result_free(res);
    return rc;
}

void mote_fw_result_free(mote_fw_result *res) {
    if (!res) return;
    free(res->outputs);
    free(res->insns);
    free(res->layer_insns);
    memset(res, 0, sizeof *res);
}
