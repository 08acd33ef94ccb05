/* Placeholder until the FlexBuffer decoder lands: refuse rather than guess. */
#include "custom_options.h"

#include <stdio.h>

int mote_tflite_custom_options(mote_op op, const uint8_t *buf, size_t len, mote_opts *opts,
                               char *err, size_t errlen)
{
    (void)buf;
    (void)len;
    (void)opts;
    snprintf(err, errlen, "options of %s cannot be decoded yet", mote_op_name(op));
    return -1;
}
