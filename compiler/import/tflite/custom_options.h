/* Options of TFLM signal-library custom ops (FlexBuffer maps) -> mote_opts. */
#ifndef MOTE_TFLITE_CUSTOM_OPTIONS_H
#define MOTE_TFLITE_CUSTOM_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "mote/mote.h"

/* 0 on success; -1 with a message naming the bad field in err. */
int mote_tflite_custom_options(mote_op op, const uint8_t *buf, size_t len, mote_opts *opts,
                               char *err, size_t errlen);

#endif
