/* mote runtime: load a .mote model file and run it in place.
 *
 * A .mote file is a prepared, planned model: tensors, nodes with their
 * kernel choice and parameter blocks, weights, and the memory plan. The
 * loader checks it and builds the runtime tables in the caller's arena;
 * weights and parameters stay in the file (which may live in flash) and are
 * never copied. Layout: docs/mote-format.md.
 *
 * The loader checks structure (bounds, counts, kernels, checksum); it trusts
 * the contents of parameter blocks, which the compiler produced. A file from
 * outside must also pass its signature check (device/) before loading.
 */
#ifndef MOTE_FILE_H
#define MOTE_FILE_H

#include "mote/mote.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MOTE_FILE_VERSION 1
/* Bump whenever a parameter block layout, mote_opts or a kernel table order
 * changes: files of another ABI are refused, never misread. */
#define MOTE_RUNTIME_ABI 1
#define MOTE_FILE_HEADER_BYTES 64
#define MOTE_FILE_TENSOR_RECORD_BYTES 40u
#define MOTE_FILE_NODE_FIXED_BYTES 36u /* node record: these, then mote_opts */
#define MOTE_FILE_NODE_RECORD_BYTES \
    ((uint32_t)(MOTE_FILE_NODE_FIXED_BYTES + ((sizeof(mote_opts) + 3u) & ~(size_t)3u)))
#define MOTE_FILE_NONE 0xFFFFFFFFu

typedef enum {
    MOTE_FILE_OK = 0,
    MOTE_FILE_ERR_ALIGN,     /* the file buffer is not 16-byte aligned */
    MOTE_FILE_ERR_TRUNCATED, /* shorter than its header says */
    MOTE_FILE_ERR_MAGIC,     /* not a .mote file */
    MOTE_FILE_ERR_VERSION,   /* format version this runtime does not read */
    MOTE_FILE_ERR_ABI,       /* compiled for another runtime ABI */
    MOTE_FILE_ERR_CHECKSUM,  /* CRC-32 mismatch: corrupted */
    MOTE_FILE_ERR_CORRUPT,   /* an offset, count or index is out of range */
    MOTE_FILE_ERR_KERNEL,    /* needs a kernel this runtime does not have */
    MOTE_FILE_ERR_ARENA      /* the arena is too small */
} mote_file_status;

const char *mote_file_status_name(mote_file_status s);

/* CRC-32 (IEEE 802.3, reflected, as zlib) of n bytes, continuing from crc
 * (start with 0). */
uint32_t mote_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* FNV-1a hash of a kernel's name, as node records store it: a file names
 * the exact kernel it was compiled for. */
uint32_t mote_kernel_name_hash(const char *name);

/* Arena bytes this runtime needs for the file: the planned activations,
 * kernel state, and the tensor and node tables. Checks only the header. */
mote_file_status mote_file_arena_bytes(const void *file, size_t len, size_t *bytes);

/* Check the file and build *m in arena (16-byte aligned). On success the
 * model is ready: variables and state are reset, call mote_invoke(m). On
 * failure *err_index is the tensor or node at fault, or -1. */
mote_file_status mote_file_load(const void *file, size_t len, uint8_t *arena, size_t arena_size,
                                mote_model *m, int32_t *err_index);

#ifdef __cplusplus
}
#endif
#endif
