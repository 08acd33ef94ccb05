/* mote runtime: the op table and op names, from the op registry
 * (mote/ops.def); runtime/kernels/<file>.c defines each mote_op_<sym>. */
#include "mote/kernel.h"

#define MOTE_OP_DECL_K(sym) extern const mote_op_def mote_op_##sym;
#define MOTE_OP_DECL_N(sym)
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) MOTE_OP_DECL_##kernels(sym)
#include "mote/ops.def"
#undef MOTE_OP

#define MOTE_OP_REF_K(sym) &mote_op_##sym
#define MOTE_OP_REF_N(sym) NULL
static const mote_op_def *const op_table[MOTE_OP_COUNT] = {
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) [MOTE_OP_##ID] = MOTE_OP_REF_##kernels(sym),
#include "mote/ops.def"
#undef MOTE_OP
};

static const char *const op_names[MOTE_OP_COUNT] = {
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) [MOTE_OP_##ID] = name,
#include "mote/ops.def"
#undef MOTE_OP
};

const mote_op_def *mote_op_lookup(mote_op op)
{
    return (unsigned)op < MOTE_OP_COUNT ? op_table[op] : NULL;
}

const char *mote_op_name(mote_op op)
{
    return (unsigned)op < MOTE_OP_COUNT && op_names[op] ? op_names[op] : "UNKNOWN";
}
