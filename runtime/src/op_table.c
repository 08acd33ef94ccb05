/* mote runtime: the op table. One line per operator; the kernel file
 * runtime/kernels/<op>.c defines the mote_op_def named here. */
#include "mote/kernel.h"

extern const mote_op_def mote_op_add, mote_op_average_pool_2d, mote_op_concatenation,
    mote_op_conv_2d, mote_op_depthwise_conv_2d, mote_op_dequantize, mote_op_fully_connected,
    mote_op_logistic, mote_op_max_pool_2d, mote_op_mean, mote_op_mul, mote_op_pad,
    mote_op_quantize, mote_op_reshape, mote_op_softmax, mote_op_tanh,
    mote_op_unidirectional_sequence_lstm;

extern const mote_op_def mote_op_cast, mote_op_div, mote_op_minimum, mote_op_maximum,
    mote_op_strided_slice, mote_op_signal_window, mote_op_signal_fft_auto_scale,
    mote_op_signal_rfft, mote_op_signal_energy, mote_op_signal_filter_bank,
    mote_op_signal_filter_bank_square_root, mote_op_signal_filter_bank_spectral_subtraction,
    mote_op_signal_pcan, mote_op_signal_filter_bank_log;

static const mote_op_def *const op_table[MOTE_OP_COUNT] = {
    [MOTE_OP_RESHAPE] = &mote_op_reshape,
    [MOTE_OP_CAST] = &mote_op_cast,
    [MOTE_OP_DIV] = &mote_op_div,
    [MOTE_OP_MINIMUM] = &mote_op_minimum,
    [MOTE_OP_MAXIMUM] = &mote_op_maximum,
    [MOTE_OP_STRIDED_SLICE] = &mote_op_strided_slice,
    [MOTE_OP_SIGNAL_WINDOW] = &mote_op_signal_window,
    [MOTE_OP_SIGNAL_FFT_AUTO_SCALE] = &mote_op_signal_fft_auto_scale,
    [MOTE_OP_SIGNAL_RFFT] = &mote_op_signal_rfft,
    [MOTE_OP_SIGNAL_ENERGY] = &mote_op_signal_energy,
    [MOTE_OP_SIGNAL_FILTER_BANK] = &mote_op_signal_filter_bank,
    [MOTE_OP_SIGNAL_FILTER_BANK_SQUARE_ROOT] = &mote_op_signal_filter_bank_square_root,
    [MOTE_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION] = &mote_op_signal_filter_bank_spectral_subtraction,
    [MOTE_OP_SIGNAL_PCAN] = &mote_op_signal_pcan,
    [MOTE_OP_SIGNAL_FILTER_BANK_LOG] = &mote_op_signal_filter_bank_log,
    [MOTE_OP_ADD] = &mote_op_add,
    [MOTE_OP_MUL] = &mote_op_mul,
    [MOTE_OP_SOFTMAX] = &mote_op_softmax,
    [MOTE_OP_LOGISTIC] = &mote_op_logistic,
    [MOTE_OP_TANH] = &mote_op_tanh,
    [MOTE_OP_QUANTIZE] = &mote_op_quantize,
    [MOTE_OP_DEQUANTIZE] = &mote_op_dequantize,
    [MOTE_OP_PAD] = &mote_op_pad,
    [MOTE_OP_CONCATENATION] = &mote_op_concatenation,
    [MOTE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM] = &mote_op_unidirectional_sequence_lstm,
    [MOTE_OP_FULLY_CONNECTED] = &mote_op_fully_connected,
    [MOTE_OP_AVERAGE_POOL_2D] = &mote_op_average_pool_2d,
    [MOTE_OP_MAX_POOL_2D] = &mote_op_max_pool_2d,
    [MOTE_OP_MEAN] = &mote_op_mean,
    [MOTE_OP_CONV_2D] = &mote_op_conv_2d,
    [MOTE_OP_DEPTHWISE_CONV_2D] = &mote_op_depthwise_conv_2d,
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
