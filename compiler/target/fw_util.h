/* Internals of the firmware runner (fw.c): running external commands with a
 * timeout and reading ELF sizes and symbols. Not a public interface. */
#ifndef MOTE_TARGET_FW_UTIL_H
#define MOTE_TARGET_FW_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "target/fw.h"

/* Run argv[0] (PATH lookup) in cwd (NULL = current), stdout+stderr appended to
 * log_path after a line with the command. Kills the process group after
 * timeout_s seconds. Returns the exit status (0-255), 128+signal if killed by a
 * signal, -1 if it could not start (e.g. not installed), -2 on timeout. */
int fw_exec(const char *const *argv, const char *cwd, const char *log_path, int timeout_s);

typedef struct {
    size_t text, rodata, data, bss; /* section sizes */
    size_t load_bytes;              /* sum of PT_LOAD p_filesz */
} fw_elf_sizes;

/* Little-endian ELF32/ELF64 only. 0 ok, -1 with a message in err. */
int fw_elf_read_sizes(const char *path, fw_elf_sizes *out, char *err, size_t errlen);
/* Value of a symbol in .symtab; 0 ok, -1 if missing. */
int fw_elf_symbol(const char *path, const char *name, uint64_t *value);

/* After a successful run in work: the harness summary line of run.log, out.bin
 * and the instruction counts (insns.log from the QEMU plugin, or the callgrind
 * dumps on the host) into res. 0 ok, -1 with a one-line message in err. */
int fw_parse_results(const char *work, int host, int layer_counts, mote_fw_result *res, char *err, size_t errlen);
/* Whole file, NUL-terminated (malloc'd; *len excludes the NUL), or NULL. */
char *fw_slurp(const char *path, size_t *len);

#endif
