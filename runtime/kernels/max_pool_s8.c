/* MAX_POOL_2D int8 (TFLM reference_integer_ops::MaxPool): maximum of the
 * in-bounds window elements, then the activation clamp. */
#include "fc_pool_common.h"
#include "mote/quant.h"

void mote_max_pool_s8_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_pool_params *p = n->data;
    const int8_t *in = mote_in(n, t, 0)->data;
    int8_t *out = mote_out(n, t, 0)->data;
    const size_t row = (size_t)p->in_w * (size_t)p->depth;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *img = in + (size_t)b * (size_t)p->in_h * row;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            int32_t y0 = oy * p->stride_h - p->pad_h;
            int32_t fy0 = y0 < 0 ? -y0 : 0;
            int32_t fy1 = p->in_h - y0 < p->filter_h ? p->in_h - y0 : p->filter_h;
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                int32_t x0 = ox * p->stride_w - p->pad_w;
                int32_t fx0 = x0 < 0 ? -x0 : 0;
                int32_t fx1 = p->in_w - x0 < p->filter_w ? p->in_w - x0 : p->filter_w;
                for (int32_t c = 0; c < p->depth; c++) {
                    int32_t m = -128;
                    for (int32_t fy = fy0; fy < fy1; fy++)
                        for (int32_t fx = fx0; fx < fx1; fx++) {
                            int32_t v = img[(size_t)(y0 + fy) * row + (size_t)(x0 + fx) * (size_t)p->depth + (size_t)c];
                            if (v > m) m = v;
                        }
                    *out++ = (int8_t)mote_clamp_i32(m, p->act_min, p->act_max);
                }
            }
        }
    }
}
