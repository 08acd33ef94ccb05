/* Placeholder: the optimized int4 kernel is not written yet; the node keeps its reference kernel. */
#include "conv_common.h"

mote_status mote_conv_s8_s4_opt_choose(mote_ctx *ctx, mote_node *n, const mote_tensor *t)
{
    (void)ctx, (void)n, (void)t;
    return MOTE_OK;
}
