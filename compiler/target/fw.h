/* Build a generated model package into a benchmark firmware, run it over a
 * file of input vectors on QEMU Cortex-M (or natively on the host) and return
 * the outputs with exact measurements.
 *
 * QEMU: arm-none-eabi-gcc + targets/qemu (startup, linker script, harness
 * fw_main.c), instructions counted by the TCG plugin targets/qemu/insncount.c
 * (built into work_dir with the host cc on first use). Host: cc + fw_main.c
 * with stdio, instructions counted by valgrind --tool=callgrind. The targets/qemu
 * folder is found at the compile-time MOTE_QEMU_DIR, or the MOTE_QEMU_DIR
 * environment variable when set. The run is killed after MOTE_FW_TIMEOUT seconds
 * (environment, default 600); compile steps after 300 s.
 *
 * work_dir receives obj/, fw.elf or fw_host, in.bin (a symlink to input_path),
 * out.bin and the logs compile.log, link.log, plugin.log, run.log, insns.log
 * (QEMU plugin output). One run at a time per work_dir. */
#ifndef MOTE_TARGET_FW_H
#define MOTE_TARGET_FW_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *work_dir;             /* created if missing; build products + logs go here */
    const char *package_dir;          /* folder with model.h and the package's .c files (all *.c are compiled) */
    const char *const *extra_sources; /* NULL-terminated, may be NULL: more .c files (e.g. runtime files) */
    const char *const *include_dirs;  /* NULL-terminated, may be NULL */
    const char *toolchain;            /* "arm-none-eabi-gcc" (with machine) or "cc" (host, machine NULL) */
    const char *cflags;               /* CPU flags, split at whitespace (no quoting), e.g. "-mcpu=cortex-m4 -mthumb" */
    const char *machine;              /* "mps2-an385" (M3; also runs M0+ code) | "mps2-an386" | "mps2-an500" |
                                         "mps2-an505", "qemu-aarch64" (a static Linux binary with the stdio
                                         harness, toolchain aarch64-linux-gnu-gcc, under QEMU user mode),
                                         or NULL = run on the host */
    const char *input_path;           /* vectors: all inputs of a vector concatenated, vectors back to back */
    int layer_counts;                 /* build with -DMOTE_LAYER_MARKS and collect per-layer instruction counts */
} mote_fw_spec;

typedef struct {
    uint8_t *outputs;         /* concatenated outputs of all vectors (malloc'd) */
    size_t outputs_bytes;
    size_t n_vectors;
    uint64_t *insns;          /* per vector, instructions of one model_invoke() incl. the two markers
                                 (QEMU: guest instructions from the TCG plugin; host: callgrind Ir);
                                 with layer_counts they include the mark calls (~10 insns each) */
    uint64_t *layer_insns;    /* per layer of the last vector, when layer_counts (the first invoke on the
                                 host pays one-time costs: lazy symbol binding, CPU feature probes):
                                 layer k counts from the entry of MOTE_LAYER_MARK(k) to the entry of
                                 MOTE_LAYER_MARK(k+1) */
    size_t n_layers;          /* number of marks - 1 */
    size_t text_bytes, rodata_bytes, data_bytes, bss_bytes; /* ELF section sizes (.text includes the vector table) */
    size_t stack_bytes;       /* QEMU: stack high-water mark (painted stack); host: 0, not measured */
    size_t flash_bytes;       /* bytes of all loadable segments = flash image (text, rodata, vectors, .data init);
                                 host: file bytes of the executable's PT_LOAD segments (libc startup, ELF tables) */
    size_t ram_bytes;         /* data + bss + stack_bytes */
} mote_fw_result;

/* 0 on success. On failure returns -1 and writes one line to err naming the
 * step (setup, compile, link, plugin build, qemu run, host run, results) and the
 * log file to look at. *res is zeroed first and is safe to free either way. */
int mote_fw_run(const mote_fw_spec *spec, mote_fw_result *res, char *err, size_t errlen);
void mote_fw_result_free(mote_fw_result *res);

#endif
