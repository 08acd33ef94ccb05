/* UNIDIRECTIONAL_SEQUENCE_LSTM: data shared by prepare (lstm.c) and the
 * int8 / float32 evaluators (lstm_s8.c, lstm_f32.c).
 *
 * Semantics follow TFLM's current LSTM kernel: a plain LSTM (no CIFG, no
 * peephole, no projection, no layer norm); per time step
 *   f = sigmoid(FC(x, W_xf, b_f) + FC(h, W_hf))   (same for i, o)
 *   g = act(FC(x, W_xg, b_g) + FC(h, W_hg))         act = cell activation
 *   c = clip(f * c + i * g)
 *   h = tanh(c) * o                                 (always tanh)
 * and the output row for that step is a copy of h.
 *
 * Integer variant (int8 activations, int16 cell state): every gate
 * pre-activation is int16 with scale 2^-12 (Q3.12), every gate output int16
 * with scale 2^-15 (Q0.15), the cell state int16 with a power-of-two scale.
 */
#ifndef MOTE_LSTM_COMMON_H
#define MOTE_LSTM_COMMON_H

#include <stdint.h>

#include "mote/kernel.h"

/* TFLite's input order (24 inputs). */
enum {
    LSTM_IN_X = 0,
    LSTM_IN_W_XI = 1, LSTM_IN_W_XF, LSTM_IN_W_XC, LSTM_IN_W_XO,   /* input-to-gate, [S, I] */
    LSTM_IN_W_HI = 5, LSTM_IN_W_HF, LSTM_IN_W_HC, LSTM_IN_W_HO,   /* recurrent-to-gate, [S, S] */
    LSTM_IN_PEEP_I = 9, LSTM_IN_PEEP_F, LSTM_IN_PEEP_O,           /* peephole (unsupported) */
    LSTM_IN_B_I = 12, LSTM_IN_B_F, LSTM_IN_B_C, LSTM_IN_B_O,      /* gate biases, [S] */
    LSTM_IN_PROJ_W = 16, LSTM_IN_PROJ_B,                          /* projection (unsupported) */
    LSTM_IN_H = 18,                                               /* output state (variable) */
    LSTM_IN_C = 19,                                               /* cell state (variable) */
    LSTM_IN_LN_I = 20, LSTM_IN_LN_F, LSTM_IN_LN_C, LSTM_IN_LN_O,  /* layer norm (unsupported) */
    LSTM_N_IN = 24
};

/* Gate order used for the arrays below. */
enum { LSTM_GATE_I = 0, LSTM_GATE_F, LSTM_GATE_C, LSTM_GATE_O, LSTM_GATES };

/* int8 x int8 -> int16 fully connected step (per-tensor). */
typedef struct {
    int32_t mult;
    int32_t shift;
    int32_t in_offset; /* -input zero point */
    int32_t w_offset;  /* -weight zero point */
} lstm_fc_q;

/* int16 x int16 element-wise product requantized to int16 or int8. */
typedef struct {
    int32_t mult;
    int32_t shift;
    int32_t out_zp;
    int32_t lo, hi;
} lstm_mul_q;

typedef struct {
    int32_t batch, steps, n_input, n_state;
    int32_t rows;          /* rows per step: batch if time major, else 1 */
    uint8_t time_major;
    float cell_clip;       /* float: clip if > 0 */
    /* integer parameters */
    int16_t cell_qclip;    /* clip if cell_clip > 0 */
    int32_t cell_tanh_mult, cell_tanh_shift; /* tanh(c) input rescale */
    lstm_fc_q fc_x[LSTM_GATES], fc_h[LSTM_GATES];
    lstm_mul_q mul_fc, mul_ig, mul_oh; /* f*c -> c, i*g -> c, tanh(c)*o -> h */
} lstm_data;

/* ---- int16 sigmoid / tanh (TFLite's LUT-based int16 kernels) ----------- */

/* sigmoid(i / 24) in unsigned Q0.16, i = 0..255: the interpolation table of
 * TFLite's int16 LOGISTIC/TANH. The values are TFLite's own (they are not a
 * plain rounding of the formula), so they are listed rather than computed. */
static inline uint32_t lstm_sigmoid_lut(uint32_t i)
{
    static const uint16_t tab[256] = {
        32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
        40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
        47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
        53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
        57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
        60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
        62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
        63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
        64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
        64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
        65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
        65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
        65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
        65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
        65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
        65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
        65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
        65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
        65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
        65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
        65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
        65534, 65534, 65534, 65535,
    };
    return tab[i];
}

/* Arithmetic right shift (floor), defined for negative values too. */
static inline int32_t lstm_asr(int32_t x, int n)
{
    return x >= 0 ? (x >> n) : -(int32_t)((uint32_t)(-(x + 1)) >> n) - 1;
}

/* Sigmoid of a Q3.12 int16 to Q0.15: the input is scaled by 3 (so the 256
 * table entries of step 1/24 cover |x| < 10.7) and interpolated on 9
 * fractional bits; the result is rounded on the way back to 16 bits. */
static inline int16_t lstm_sigmoid_s16(int16_t x)
{
    int32_t v = (int32_t)x * 3;
    uint32_t a = (uint32_t)(v < 0 ? -v : v);
    uint32_t hi = a >> 9, r;
    if (hi >= 255) {
        r = 0x7FFFu << 10;
    } else {
        uint32_t lo = lstm_sigmoid_lut(hi), up = lstm_sigmoid_lut(hi + 1);
        r = (lo << 9) + (a & 0x1FFu) * (up - lo);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int16_t)(r >> 10);
}

/* Tanh of an int16 to Q0.15 via tanh(x) = 2 sigmoid(2x) - 1. The input is
 * first rescaled as (x * mult + round) >> shift so that it becomes Q3.12
 * times 3; for a Q3.12 input mult = 3, shift = 0 (see lstm_tanh_params). */
static inline int16_t lstm_tanh_s16(int16_t x, int32_t mult, int32_t shift)
{
    int32_t rnd = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    int32_t v = lstm_asr((int32_t)x * mult + rnd, shift);
    uint32_t a = (uint32_t)(v < 0 ? -v : v);
    uint32_t hi = a >> 8;
    int32_t r;
    if (hi >= 255) {
        r = 0xFFFF << 8;
    } else {
        uint32_t lo = lstm_sigmoid_lut(hi), up = lstm_sigmoid_lut(hi + 1);
        r = (int32_t)((lo << 8) + (a & 0xFFu) * (up - lo));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)lstm_asr(r, 8);
}

/* Input rescale for tanh of an int16 with scale 2^power (TFLM's rule): the
 * left shift (15 + power) - 3 is folded into the multiplier 3 when >= 0,
 * and becomes a rounding right shift of x * 3 when negative. */
static inline void lstm_tanh_params(int power, int32_t *mult, int32_t *shift)
{
    int32_t ls = 15 + power - 3;
    if (ls < 0) {
        *mult = 3;
        *shift = -ls;
    } else {
        *mult = (int32_t)(3u << ls);
        *shift = 0;
    }
}

void mote_lstm_s8_eval(const mote_node *n, const mote_tensor *t);
void mote_lstm_f32_eval(const mote_node *n, const mote_tensor *t);

#endif
