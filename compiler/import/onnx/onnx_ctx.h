/* Internals shared by the ONNX importer's files: the value table (every
 * ONNX value name with its logical NCHW shape, its host constant if known,
 * and the mote tensors that hold it in plain or NHWC layout), the node
 * being imported (for messages) and helpers to emit mote ops. */
#ifndef MOTE_ONNX_CTX_H
#define MOTE_ONNX_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "ir/build.h"
#include "ir/graph.h"
#include "onnx_subset.pb-c.h"

typedef MoteOnnx__NodeProto onnx_node;
typedef MoteOnnx__AttributeProto onnx_attr;
typedef MoteOnnx__TensorProto onnx_tensor;

#define ONNX_MAX_ELEMS ((int64_t)1 << 28) /* 1 GiB of float32 */
#define ONNX_MAX_FOLD ((int64_t)1 << 22)  /* largest constant computed (not read) at import */

typedef struct onnx_value_s {
    char *name;
    int rank;
    int32_t dims[MOTE_MAX_DIMS]; /* ONNX order (NCHW for images) */
    uint8_t dtype;               /* MOTE_F32 or MOTE_I64 */
    void *cdata;                 /* host copy when the value is a constant (owned), else NULL */
    int32_t plain, nhwc;         /* mote tensors holding it as ONNX orders it / rank 4 as NHWC, or -1 */
    /* a 2-D [N, C*H*W] flatten of the NCHW value flat_of, held (nhwc_flat) in NHWC element order
     * [N, H*W*C]: a following Gemm/MatMul permutes its weight columns instead of a TRANSPOSE */
    struct onnx_value_s *flat_of;
    int32_t nhwc_flat;
} onnx_value;

typedef struct {
    mote_irb b;
    mote_ir_graph *g;
    const char *file;
    char *err;
    size_t errlen;
    onnx_value **v;  /* each value allocated alone: pointers stay valid as the table grows */
    int32_t nv, capv;
    int64_t opset;
    char berr[200]; /* the IR builder's messages */ 
    /* the node being imported */
    const MoteOnnx__GraphProto *gp;
    const onnx_node *node;
    int32_t node_index;
} onnx_imp;

/* Error naming the current node; always returns -1. */
int onnx_fail(onnx_imp *im, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The node's name for messages ("" when it has none). */
const char *onnx_node_name(const onnx_node *n);

/* values.c: the value table */
int64_t onnx_elems(int rank, const int32_t *dims);
onnx_value *onnx_find(onnx_imp *im, const char *name);
/* A new value named name (refused when it exists). dims may be NULL for rank 0. */
onnx_value *onnx_define(onnx_imp *im, const char *name, int rank, const int32_t *dims, uint8_t dtype);
/* The node's input k, or NULL (error set) when absent or unknown. */
onnx_value *onnx_in(onnx_imp *im, int k);
/* 1 when the node has a non-empty input k. */
int onnx_has_in(onnx_imp *im, int k);
/* Defines the node's output k. */
onnx_value *onnx_out(onnx_imp *im, int k, int rank, const int32_t *dims, uint8_t dtype);
/* Makes out stand for the same data as v (Identity, Dropout, alias-only ops). */
int onnx_alias(onnx_imp *im, onnx_value *out, const onnx_value *v);
/* A constant's value as float / int64 at flat index i. */
float onnx_cf(const onnx_value *v, int64_t i);
int64_t onnx_ci(const onnx_value *v, int64_t i);
/* The mote tensor holding v in ONNX order / as NHWC (rank 4), inserting a
 * constant, RESHAPE or TRANSPOSE when needed; -1 on error. */
int32_t onnx_plain(onnx_imp *im, onnx_value *v);
int32_t onnx_nhwc(onnx_imp *im, onnx_value *v);
/* The tensor v is in now, NHWC when it has one (*nhwc set), else plain (made if needed). */
int32_t onnx_any(onnx_imp *im, onnx_value *v, int *nhwc);
/* A new float activation tensor for v in the given layout. */
int32_t onnx_act(onnx_imp *im, onnx_value *v, int nhwc);
/* A new float tensor shaped like tensor t (pointers into the tensor array die as it grows). */
int32_t onnx_like(onnx_imp *im, int32_t t, const char *name);
/* A float constant tensor (data copied). */
int32_t onnx_const_f(onnx_imp *im, const char *suffix, int rank, const int32_t *dims, const float *data);
/* Appends one op; returns its index or -1. */
int32_t onnx_emit(onnx_imp *im, mote_op op, const int32_t *in, int n_in, int32_t out, const mote_opts *o);
/* Permute host data: out dim i is in dim perm[i]; esize bytes per element. */
void onnx_permute(const void *src, void *dst, size_t esize, int rank, const int32_t *dims, const int *perm);
/* How many value slots (plain or NHWC) name tensor t: 1 means no alias shares it. */
int32_t onnx_tensor_refs(onnx_imp *im, int32_t t);
/* The op that writes tensor t, or -1. */
int32_t onnx_producer(onnx_imp *im, int32_t t);

/* attrs.c: the node's attributes; a missing one gives the default,
 * one of the wrong type an error (-1). */
const onnx_attr *onnx_attr_get(onnx_imp *im, const char *name);
int onnx_attr_i(onnx_imp *im, const char *name, int64_t def, int64_t *out);
int onnx_attr_f(onnx_imp *im, const char *name, float def, float *out);
/* An INTS attribute into out[max]; *n = -1 when absent. */
int onnx_attr_ints(onnx_imp *im, const char *name, int64_t *out, int max, int *n);
/* A STRING attribute into out (NUL-terminated, cut to outlen); def when absent. */
int onnx_attr_s(onnx_imp *im, const char *name, const char *def, char *out, size_t outlen);
/* A TensorProto into a new constant value named name (float32 or int64 only). */
onnx_value *onnx_tensor_value(onnx_imp *im, const onnx_tensor *t, const char *name, const char *what);

/* Readers of a value among the nodes, + 1 per graph output naming it. */
int32_t onnx_uses(onnx_imp *im, const char *name);

/* One handler per op_type group: 1 handled, 0 not theirs, -1 error. */
int onnx_op_nn(onnx_imp *im, const char *op);
int onnx_op_tensor(onnx_imp *im, const char *op);
int onnx_op_elem(onnx_imp *im, const char *op);
int onnx_op_rnn(onnx_imp *im, const char *op);

/* Normalizes an axis of a rank-r tensor (negative from the end); -1 error. */
int onnx_axis(onnx_imp *im, int64_t a, int rank, const char *what);

#endif
