/* mote runtime: public API.
 *
 * The runtime executes a graph of tensors and nodes held in a mote_model.
 * It never allocates: every byte of working memory comes from one arena
 * that the caller provides. Constant tensors (weights) are read in place
 * and may live in flash.
 *
 * Life of a model:
 *   mote_prepare()  check every node once (types, shapes, options), compute
 *                   fixed-point parameters, take persistent kernel data from
 *                   the top of the arena, and record each node's scratch need;
 *   (planner)       place activations and scratch buffers in the bottom of
 *                   the arena (compiler/ does this on the host);
 *   mote_reset()    zero variable tensors (recurrent state);
 *   mote_invoke()   run the nodes in order; no checks happen here.
 */
#ifndef MOTE_MOTE_H
#define MOTE_MOTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOTE_MAX_DIMS 6

typedef enum {
    MOTE_OK = 0,
    MOTE_ERR_TYPE,        /* a tensor has a dtype the op does not support */
    MOTE_ERR_SHAPE,       /* shapes do not agree */
    MOTE_ERR_PARAM,       /* an option or quantization parameter is invalid */
    MOTE_ERR_UNSUPPORTED, /* valid model, but mote has no kernel for it */
    MOTE_ERR_ARENA        /* the arena is too small */
} mote_status;

typedef enum {
    MOTE_F32 = 0,
    MOTE_I8,
    MOTE_U8,
    MOTE_I16,
    MOTE_I32,
    MOTE_I64,
    MOTE_U32,
    MOTE_U64,
    MOTE_BOOL,
    MOTE_I4,   /* int4, two per byte: element 2i in the low nibble of byte i (TFLite's INT4) */
    MOTE_I1,   /* binary weights, 8 per byte: element 8i + j is bit j of byte i, 1 = +1, 0 = -1
                * (mote's own; in .tflite files TensorType 127, no TFLite reader knows it) */
    MOTE_I8_SPARSE, /* int8 weights, only the non-zeros, row by row (mote/sparse.h); constant only */
    MOTE_DTYPE_COUNT
} mote_dtype;

/* One op enum for the whole project, from the op registry (mote/ops.def):
 * the TFLite importer maps builtin codes and custom op names onto it, the op
 * table is indexed by it. */
typedef enum {
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) MOTE_OP_##ID,
#include "mote/ops.def"
#undef MOTE_OP
    MOTE_OP_COUNT
} mote_op;

typedef enum { MOTE_PAD_SAME = 0, MOTE_PAD_VALID = 1 } mote_padding;

typedef enum {
    MOTE_ACT_NONE = 0,
    MOTE_ACT_RELU,
    MOTE_ACT_RELU_N1_TO_1,
    MOTE_ACT_RELU6,
    MOTE_ACT_TANH,
    MOTE_ACT_SIGN_BIT
} mote_activation;

/* Quantization: real = scale * (q - zero_point). n == 0: not quantized;
 * n == 1: per tensor; n > 1: per channel along `axis`. */
typedef struct {
    const float *scale;
    const int32_t *zero_point;
    int32_t n;
    int32_t axis;
} mote_quant;

enum {
    MOTE_TENSOR_CONST = 1u << 0,    /* data points at read-only weights */
    MOTE_TENSOR_VARIABLE = 1u << 1, /* state kept across invokes, zeroed by mote_reset */
    MOTE_TENSOR_INPUT = 1u << 2,
    MOTE_TENSOR_OUTPUT = 1u << 3,
    /* a constant that its readers keep, repacked, in their parameter blocks:
     * compiled models store no data for it (see mote_kernel.packed) */
    MOTE_TENSOR_PACKED = 1u << 4
};

/* Instruction-set choices for prepare (mote_prepare_isa). Kernels with
 * SIMD inner loops pick them at C compile time (__ARM_FEATURE_DSP, aarch64
 * NEON) or at run time (x86 CPUID); these bits choose what prepare cannot leave to them:
 * the kernel family and so the layout of its packed weights. */
enum {
    MOTE_ISA_PORTABLE = 0,         /* optimized C, SMLAD inner loops where the core has DSP */
    MOTE_ISA_REFERENCE = 1u << 0,  /* reference kernels only: baselines and tests */
    MOTE_ISA_X86 = 1u << 1,        /* x86-64 kernels: SSE4.1 / AVX2 / VNNI chosen at run time */
    MOTE_ISA_NEON = 1u << 2        /* aarch64 Advanced SIMD (NEON) kernels */
};

typedef struct mote_tensor {
    void *data;       /* arena (activations) or model buffer (constants) */
    size_t bytes;     /* elements * dtype size */
    int32_t dims[MOTE_MAX_DIMS];
    uint8_t rank;
    uint8_t type;     /* mote_dtype */
    uint8_t flags;    /* MOTE_TENSOR_* */
    mote_quant q;
} mote_tensor;

/* Builtin options. One flat struct for every op keeps the importer, the op
 * table and the future .mote serializer simple; each op reads its fields. */
typedef struct mote_opts {
    uint8_t padding;     /* mote_padding */
    uint8_t activation;  /* mote_activation (fused) */
    uint8_t keep_dims;   /* MEAN; FULLY_CONNECTED keep_num_dims */
    uint8_t time_major;  /* LSTM */
    uint8_t asymmetric_quantize_inputs; /* hybrid kernels */
    int16_t stride_w, stride_h;
    int16_t dilation_w, dilation_h;
    int16_t filter_w, filter_h;         /* pooling */
    int16_t depth_multiplier;
    int32_t axis;                       /* CONCATENATION */
    int32_t begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask, offset; /* STRIDED_SLICE */
    float beta;                         /* SOFTMAX */
    float cell_clip, proj_clip;         /* LSTM */
    /* custom ops: raw flexbuffer-free parameters decoded by the importer */
    int32_t iparams[16];
    int32_t n_iparams;
} mote_opts;

struct mote_node;
/* Kernels never change tensor descriptors at run time, only the bytes they
 * point to: so a compiled model may keep its tensor table in flash. */
typedef void (*mote_eval_fn)(const struct mote_node *node, const mote_tensor *tensors);

typedef struct mote_node {
    uint16_t op;            /* mote_op */
    uint16_t n_in, n_out;
    const int32_t *io;      /* n_in input tensor indices, then n_out outputs; -1 = absent optional input */
    mote_opts opts;
    /* filled by prepare */
    mote_eval_fn eval;      /* the kernel variant chosen for these dtypes */
    uint8_t kernel;         /* its index in the op's kernel table (what .mote files store) */
    void *data;             /* read-only kernel parameters: one pointer-free block of
                             * data_bytes, so compiled models can keep it in flash */
    size_t data_bytes;
    void *state;            /* kernel state kept across invokes (zeroed by mote_reset) */
    size_t state_bytes;
    size_t scratch_bytes;   /* requested by prepare */
    void *scratch;          /* placed by the planner */
} mote_node;

typedef struct mote_model {
    mote_tensor *tensors;
    int32_t n_tensors;
    mote_node *nodes;
    int32_t n_nodes;
    const int32_t *inputs;
    int32_t n_inputs;
    const int32_t *outputs;
    int32_t n_outputs;
} mote_model;

/* Where and why prepare failed. err is a static string: no stdio here. */
typedef struct mote_ctx {
    uint8_t *arena;
    size_t arena_size;
    size_t persist_used;   /* bytes taken from the top of the arena */
    int32_t err_node;      /* -1 if not node-specific */
    int32_t err_tensor;    /* -1 if not tensor-specific */
    const char *err;
    uint32_t isa;          /* MOTE_ISA_* the kernels are chosen for */
} mote_ctx;

/* Bytes per element; 0 for a type packed below one byte (MOTE_I4, MOTE_I1) or
 * encoded (MOTE_I8_SPARSE). */
size_t mote_dtype_size(mote_dtype t);
/* Bytes a tensor of `elems` elements takes: elems * size, or ceil(elems / 2)
 * for MOTE_I4, ceil(elems / 8) for MOTE_I1. Every tensor byte count goes
 * through this, except that of a MOTE_I8_SPARSE tensor: its encoding's length
 * (mote_sparse_s8_check); 0 here. */
size_t mote_dtype_bytes(mote_dtype t, int64_t elems);
const char *mote_dtype_name(mote_dtype t);
const char *mote_op_name(mote_op op);
const char *mote_status_name(mote_status s);
int64_t mote_tensor_elems(const mote_tensor *t);

/* Check and prepare every node. arena must be 16-byte aligned.
 * mote_prepare chooses kernels for MOTE_ISA_PORTABLE. */
mote_status mote_prepare(mote_model *m, mote_ctx *ctx, uint8_t *arena, size_t arena_size);
mote_status mote_prepare_isa(mote_model *m, mote_ctx *ctx, uint8_t *arena, size_t arena_size, uint32_t isa);
/* The same, with node i on the reference kernels where reference[i] != 0:
 * the compiler's per-layer choice between speed and memory. */
mote_status mote_prepare_choice(mote_model *m, mote_ctx *ctx, uint8_t *arena, size_t arena_size, uint32_t isa,
                                const uint8_t *reference);
/* Reset every variable tensor to real zero and every kernel state to zero
 * (call after the planner bound them). */
void mote_reset(mote_model *m);
/* Run every node in order. */
void mote_invoke(mote_model *m);
/* Run nodes [first, last) — lets tools dump per-layer outputs. */
void mote_invoke_range(mote_model *m, int32_t first, int32_t last);

#ifdef __cplusplus
}
#endif
#endif
