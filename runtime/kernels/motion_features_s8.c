/* MoteMotionFeatures with an int8 output: each raw feature f (motion_features.c) normalised as
 * clamp(zp + ((f - offset) * m + 2^(r-1)) >> r, -128, 127), r = 31 - shift, in 64-bit arithmetic. */
#include "motion_common.h"

void mote_motion_features_s8_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_motion_data *d = (const mote_motion_data *)n->data;
    const int16_t *x = (const int16_t *)mote_in(n, t, 0)->data;
    const int32_t *offset = (const int32_t *)mote_in(n, t, 1)->data;
    const int32_t *mul = (const int32_t *)mote_in(n, t, 2)->data;
    int8_t *y = (int8_t *)mote_out(n, t, 0)->data;
    const int32_t per = MOTE_MOTION_STATS + d->bands;
    int32_t f[MOTE_MOTION_STATS + MOTE_MOTION_MAX_BANDS];
    for (int32_t a = 0; a < d->axes; a++) {
        axis_features(d, x, a, f);
        for (int32_t j = 0; j < per; j++) {
            const int32_t i = a * per + j, r = 31 - mul[2 * i + 1];
            /* |f - offset| < 2^32 and m < 2^31: the product and its rounding fit int64 */
            int64_t v = (((int64_t)f[j] - offset[i]) * mul[2 * i] + ((int64_t)1 << (r - 1))) >> r;
            v += d->out_zp;
            y[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
    }
}

