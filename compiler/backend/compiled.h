/* Backends: turn a prepared, planned host model into what a device runs —
 * a .mote file (interpreter runtime) or a self-contained C package — and
 * size what each needs on a target. */
#ifndef MOTE_BACKEND_COMPILED_H
#define MOTE_BACKEND_COMPILED_H

#include <stddef.h>
#include <stdint.h>

#include "host_model.h"

/* What a compiled model occupies, independent of the format. */
typedef struct {
    size_t plan_bytes;    /* activations + scratch (the planned arena) */
    size_t state_bytes;   /* kernel state, each block 16-aligned */
    size_t weights_bytes; /* constant tensors */
    size_t params_bytes;  /* prepared parameter blocks */
    size_t quant_bytes;   /* quantization scales and zero points */
    int32_t n_tensors, n_nodes;
} mote_compiled_sizes;

void mote_compiled_sizes_of(const mote_host_model *hm, mote_compiled_sizes *s);

/* sizeof(mote_tensor) / sizeof(mote_node) on a target with this pointer
 * width (4 or 8), from the same field list as runtime/include/mote/mote.h. */
size_t mote_abi_tensor_bytes(int ptr_bytes);
size_t mote_abi_node_bytes(int ptr_bytes);

/* Arena a .mote file needs on that target (what mote_file_arena_bytes
 * computes on the device). */
size_t mote_file_arena_for(const mote_compiled_sizes *s, int ptr_bytes);

/* Serialize as a .mote file (malloc'd). 0 ok, -1 with a message. */
int mote_write_mote(const mote_host_model *hm, uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* Write a C package into dir (created): model.c, model.h, the runtime files
 * its kernels need, CMakeLists.txt and model.mk. `prefix` names the API
 * (prefix_init, ...); `source` and `target` go into the header comment.
 * 0 ok, -1 with a message. */
int mote_emit_c(const mote_host_model *hm, const char *dir, const char *prefix, const char *source,
                const char *target, char *err, size_t errlen);

/* Write a firmware package that runs the .mote file `file` through the
 * interpreter runtime, with the same model_* API as mote_emit_c. */
int mote_emit_mote_package(const uint8_t *file, size_t len, size_t arena_bytes, const char *dir, const char *source,
                           const char *target, char *err, size_t errlen);

/* Offset of an activation tensor or scratch pointer in the host arena. */
static inline uint32_t mote_arena_offset(const mote_host_model *hm, const void *p)
{
    return (uint32_t)((const uint8_t *)p - hm->arena);
}

#endif
