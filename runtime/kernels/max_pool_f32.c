/* MAX_POOL_2D float32 (TFLM reference_ops::MaxPool): maximum of the in-bounds
 * window elements, starting from the lowest finite float, then the clamp. */
#include "fc_pool_common.h"
#include "mote/quant.h"

void mote_max_pool_f32_eval(const mote_node *n, const mote_tensor *t)
{
    const mote_pool_params *p = n->data;
    const float *in = mote_in(n, t, 0)->data;
    float *out = mote_out(n, t, 0)->data;
    const size_t row = (size_t)p->in_w * (size_t)p->depth;
    for (int32_t b = 0; b < p->batches; b++) {
        const float *img = in + (size_t)b * (size_t)p->in_h * row;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            int32_t y0 = oy * p->stride_h - p->pad_h;
            int32_t fy0 = y0 < 0 ? -y0 : 0;
            int32_t fy1 = p->in_h - y0 < p->filter_h ? p->in_h - y0 : p->filter_h;
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                int32_t x0 = ox * p->stride_w - p->pad_w;
                int32_t fx0 = x0 < 0 ? -x0 : 0;
                int32_t fx1 = p->in_w - x0 < p->filter_w ? p->in_w - x0 : p->filter_w;
                for (int32_t c = 0; c < p->depth; c++) {
                    float m = -3.40282347e+38f; /* lowest finite float */
                    for (int32_t fy = fy0; fy < fy1; fy++)
                        for (int32_t fx = fx0; fx < fx1; fx++) {
                            float v = img[(size_t)(y0 + fy) * row + (size_t)(x0 + fx) * (size_t)p->depth + (size_t)c];
                            /* std::max(m, v) keeps m unless m < v. */
                            if (m < v) m = v;
                        }
                    *out++ = mote_clamp_f(m, p->f_min, p->f_max);
                }
            }
        }
    }
}
