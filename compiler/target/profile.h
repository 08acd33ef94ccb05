/* Device profiles: one targets/<name>.target text file per board (core, clock,
 * RAM, flash, toolchain, emulator), and the check that a compiled model fits. */
#ifndef MOTE_TARGET_PROFILE_H
#define MOTE_TARGET_PROFILE_H

#include <stddef.h>

typedef enum {
    MOTE_CORE_CORTEX_M0PLUS,
    MOTE_CORE_CORTEX_M3,
    MOTE_CORE_CORTEX_M4F,
    MOTE_CORE_CORTEX_M7,
    MOTE_CORE_CORTEX_M33,
    MOTE_CORE_CORTEX_M55,
    MOTE_CORE_RISCV32IMC,
    MOTE_CORE_X86_64,
    MOTE_CORE_AARCH64,
    MOTE_CORE_COUNT
} mote_core;

/* Bits of mote_profile.features, in the order mote_feature_name() lists them. */
enum {
    MOTE_FEAT_DSP = 1u << 0,
    MOTE_FEAT_FPU = 1u << 1,
    MOTE_FEAT_MVE = 1u << 2,
    MOTE_FEAT_SIMD = 1u << 3,
    MOTE_FEAT_NEON = 1u << 4,
    MOTE_FEAT_SSE4_1 = 1u << 5,
    MOTE_FEAT_AVX2 = 1u << 6,
    MOTE_FEAT_AVX512VNNI = 1u << 7,
    MOTE_FEAT_COUNT = 8
};

typedef struct {
    char name[48];       /* lowercase id, equal to the file name stem */
    char board[96];      /* human-readable board name */
    mote_core core;
    unsigned features;   /* MOTE_FEAT_* bits */
    unsigned clock_mhz;
    size_t ram_kb;       /* 0 = not limited (host) */
    size_t flash_kb;     /* 0 = not limited (Linux boards, host) */
    size_t stack_kb;     /* RAM kept for stack + application outside the model */
    int ptr_bytes;       /* 4 or 8 */
    char toolchain[64];  /* compiler command */
    char cflags[256];    /* CPU flags for that compiler; may be empty */
    char emulator[64];   /* "qemu-system-arm:MACHINE", "qemu-aarch64" (user mode), "native" or "none" */
    char path[512];      /* file the profile was read from */
} mote_profile;

/* Read one profile file. 0 on success; -1 with "FILE:LINE: key: problem" in err. */
int mote_profile_load_file(const char *path, mote_profile *p, char *err, size_t errlen);

/* A NAME_OR_PATH containing '/' or ending in ".target" is read as a file; otherwise
 * NAME.target is looked up in $MOTE_TARGETS_PATH (colon-separated), then in the
 * built-in targets directory. 0 on success, -1 with a message. */
int mote_profile_find(const char *name_or_path, mote_profile *p, char *err, size_t errlen);

/* Every profile of those directories, sorted by name; a file found earlier in the
 * search order shadows a later one of the same name. *out is malloc'ed (free() it).
 * A malformed file is an error. 0 on success, -1 with a message. */
int mote_profile_list(mote_profile **out, size_t *n, char *err, size_t errlen);

/* The built-in targets directory (compiled in). */
const char *mote_profile_builtin_dir(void);

/* Does the profile list FEATURE (e.g. "fpu")? Unknown names give 0. */
int mote_profile_has(const mote_profile *p, const char *feature);
/* Is the core a Cortex-M microcontroller? */
int mote_profile_is_mcu(const mote_profile *p);

/* Names: "cortex-m4f", "fpu", ...; NULL when out of range. */
const char *mote_core_name(mote_core core);
const char *mote_feature_name(int bit_index);
/* Space-separated feature names of the profile, in canonical order. */
void mote_profile_features_str(const mote_profile *p, char *buf, size_t len);

/* What a compiled model needs on the device. */
typedef struct {
    size_t arena_bytes;      /* tensor arena (activations, scratch, kernel data) */
    size_t static_ram_bytes; /* runtime .data/.bss outside the arena */
    size_t stack_bytes;      /* 0 = the profile's stack_kb */
    size_t weights_bytes;    /* constant tensors in flash */
    size_t code_bytes;       /* runtime + kernels + model code in flash */
} mote_footprint;

/* 1 if F fits P's RAM and flash, else 0. msg (may be NULL) gets a summary with the
 * headroom, or one clause per overflow naming each term and the excess. */
int mote_profile_fit(const mote_profile *p, const mote_footprint *f, char *msg, size_t msglen);

#endif
