/* insncount.c - exact guest instruction counts for QEMU 7.2 TCG (plugin API v1).
 * Built by compiler/target/fw.c with the host cc:
 *   cc -O2 -shared -fPIC -o libinsncount.so insncount.c
 *   qemu-system-arm ... -plugin ./libinsncount.so,start=ADDR,stop=ADDR[,layer=ADDR] -d plugin -D FILE
 * Output (one line each):
 *   "region R insns N"          R-th pass from start to stop: instructions from the first
 *                               instruction of start up to, not including, the first of stop
 *   "region R layer K insns N"  with layer=: instructions from the K-th to the (K+1)-th hit of
 *                               the layer marker inside region R (so layer K includes the
 *                               marker call that precedes it)
 *   "total insns N"             whole run, at exit
 * Counting: every translation block adds its instruction count inline when it is entered;
 * a callback on the first instruction of a marker subtracts the part of its block that has
 * not executed yet. The result is the same on every run and does not depend on -icount. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few declarations of QEMU's qemu-plugin.h (API v1) used here; Debian ships no header. */
typedef uint64_t qemu_plugin_id_t;
typedef struct {
    const char *target_name;
    struct {
        int min, cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus, max_vcpus;
        } system;
    };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*vcpu_udata_cb)(unsigned int vcpu, void *ud);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, void (*)(qemu_plugin_id_t, struct qemu_plugin_tb *));
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *, enum qemu_plugin_op, void *, uint64_t);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *, vcpu_udata_cb, enum qemu_plugin_cb_flags,
                                            void *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, void (*)(qemu_plugin_id_t, void *), void *);
void qemu_plugin_outs(const char *);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t total; /* += n_insns at every block entry */
static uint64_t start_addr = ~0ull, stop_addr = ~0ull, layer_addr = ~0ull;
static uint64_t t_start, t_mark, regions, marks;
static int in_region;

/* ud = instructions of the block at/after the marker: counted in total, not yet executed */
static uint64_t now(void *ud) { return total - (uint64_t)(uintptr_t)ud; }

static void on_start(unsigned int vcpu, void *ud) {
    (void)vcpu;
    t_start = now(ud);
    in_region = 1;
    marks = 0;
}

static void on_layer(unsigned int vcpu, void *ud) {
    (void)vcpu;
    if (!in_region) return;
    uint64_t t = now(ud);
    if (marks > 0) {
        char buf[96];
        snprintf(buf, sizeof buf, "region %llu layer %llu insns %llu\n", (unsigned long long)regions,
                 (unsigned long long)(marks - 1), (unsigned long long)(t - t_mark));
        qemu_plugin_outs(buf);
    }
    t_mark = t;
    marks++;
}

static void on_stop(unsigned int vcpu, void *ud) {
    (void)vcpu;
    if (!in_region) return;
    char buf[80];
    snprintf(buf, sizeof buf, "region %llu insns %llu\n", (unsigned long long)regions,
             (unsigned long long)(now(ud) - t_start));
    qemu_plugin_outs(buf);
    regions++;
    in_region = 0;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &total, n);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t va = qemu_plugin_insn_vaddr(insn);
        void *rest = (void *)(uintptr_t)(n - i);
        if (va == start_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start, QEMU_PLUGIN_CB_NO_REGS, rest);
        if (va == stop_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_stop, QEMU_PLUGIN_CB_NO_REGS, rest);
        if (va == layer_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_layer, QEMU_PLUGIN_CB_NO_REGS, rest);
    }
}

static void at_exit(qemu_plugin_id_t id, void *p) {
    (void)id;
    (void)p;
    char buf[64];
    snprintf(buf, sizeof buf, "total insns %llu\n", (unsigned long long)total);
    qemu_plugin_outs(buf);
}

/* Addresses may carry the Thumb bit; instructions never do. */
static int parse_addr(const char *v, uint64_t *out) {
    char *end;
    *out = strtoull(v, &end, 0) & ~1ull;
    return *v && !*end ? 0 : -1;
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                                int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int bad = -1;
        if (!strncmp(a, "start=", 6)) bad = parse_addr(a + 6, &start_addr);
        else if (!strncmp(a, "stop=", 5)) bad = parse_addr(a + 5, &stop_addr);
        else if (!strncmp(a, "layer=", 6)) bad = parse_addr(a + 6, &layer_addr);
        if (bad) {
            fprintf(stderr, "insncount: bad plugin argument '%s' (start=ADDR, stop=ADDR, layer=ADDR)\n", a);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
