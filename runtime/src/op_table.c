/* mote runtime: the op table. One line per operator; the kernel file
 * runtime/kernels/<op>.c defines the mote_op_def named here. */
#include "mote/kernel.h"

extern const mote_op_def mote_op_add, mote_op_average_pool_2d, mote_op_concatenation,
    mote_op_conv_2d, mote_op_depthwise_conv_2d, mote_op_dequantize, mote_op_fully_connected,
    mote_op_logistic, mote_op_max_pool_2d, mote_op_mean, mote_op_mul, mote_op_pad,
    mote_op_quantize, mote_op_reshape, mote_op_softmax, mote_op_tanh,
    mote_op_unidirectional_sequence_lstm;

static const mote_op_def *const op_table[MOTE_OP_COUNT] = {
    [MOTE_OP_RESHAPE] = &mote_op_reshape,
};

static const char *const op_names[MOTE_OP_COUNT] = {
    [MOTE_OP_ADD] = "ADD",
    [MOTE_OP_AVERAGE_POOL_2D] = "AVERAGE_POOL_2D",
    [MOTE_OP_CONCATENATION] = "CONCATENATION",
    [MOTE_OP_CONV_2D] = "CONV_2D",
    [MOTE_OP_DEPTHWISE_CONV_2D] = "DEPTHWISE_CONV_2D",
    [MOTE_OP_DEQUANTIZE] = "DEQUANTIZE",
    [MOTE_OP_FULLY_CONNECTED] = "FULLY_CONNECTED",
    [MOTE_OP_LOGISTIC] = "LOGISTIC",
    [MOTE_OP_MAX_POOL_2D] = "MAX_POOL_2D",
    [MOTE_OP_MEAN] = "MEAN",
    [MOTE_OP_MUL] = "MUL",
    [MOTE_OP_PAD] = "PAD",
    [MOTE_OP_QUANTIZE] = "QUANTIZE",
    [MOTE_OP_RESHAPE] = "RESHAPE",
    [MOTE_OP_SOFTMAX] = "SOFTMAX",
    [MOTE_OP_TANH] = "TANH",
    [MOTE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM] = "UNIDIRECTIONAL_SEQUENCE_LSTM",
    [MOTE_OP_CAST] = "CAST",
    [MOTE_OP_DIV] = "DIV",
    [MOTE_OP_MAXIMUM] = "MAXIMUM",
    [MOTE_OP_MINIMUM] = "MINIMUM",
    [MOTE_OP_STRIDED_SLICE] = "STRIDED_SLICE",
    [MOTE_OP_SUB] = "SUB",
    [MOTE_OP_RELU] = "RELU",
    [MOTE_OP_RELU6] = "RELU6",
    [MOTE_OP_SIGNAL_WINDOW] = "SignalWindow",
    [MOTE_OP_SIGNAL_FFT_AUTO_SCALE] = "SignalFftAutoScale",
    [MOTE_OP_SIGNAL_RFFT] = "SignalRfft",
    [MOTE_OP_SIGNAL_ENERGY] = "SignalEnergy",
    [MOTE_OP_SIGNAL_FILTER_BANK] = "SignalFilterBank",
    [MOTE_OP_SIGNAL_FILTER_BANK_SQUARE_ROOT] = "SignalFilterBankSquareRoot",
    [MOTE_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION] = "SignalFilterBankSpectralSubtraction",
    [MOTE_OP_SIGNAL_PCAN] = "SignalPCAN",
    [MOTE_OP_SIGNAL_FILTER_BANK_LOG] = "SignalFilterBankLog",
};

const mote_op_def *mote_op_lookup(mote_op op)
{
    return (unsigned)op < MOTE_OP_COUNT ? op_table[op] : NULL;
}

const char *mote_op_name(mote_op op)
{
    return (unsigned)op < MOTE_OP_COUNT && op_names[op] ? op_names[op] : "UNKNOWN";
}
