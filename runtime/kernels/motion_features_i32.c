/* MoteMotionFeatures with an int32 output: the raw features (motion_features.c has their definition). */
#include "motion_common.h"

void mote_motion_features_i32_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_motion_data *d = (const mote_motion_data *)n->data;
    const int16_t *x = (const int16_t *)mote_in(n, t, 0)->data;
    int32_t *y = (int32_t *)mote_out(n, t, 0)->data;
    for (int32_t a = 0; a < d->axes; a++) axis_features(d, x, a, y + a * (MOTE_MOTION_STATS + d->bands));
}

