/* Precision in mote automl's search: after the search, each int8 trial on the front goes through the
 * mixed-precision search of `mote quantize --bits auto` (compiler/quant/mixed.h): int4 weights layer by layer,
 * each combination scored on held-out examples (the validation split, or training examples when the dataset
 * has none: never the test split) and costed on the device. Its choice (the least flash within 1 pp of the
 * float model) and uniform int4, when they fit and differ from int8, join the trials as new points
 * ("<key> +mixed", "<key> +int4") with their test accuracy from the written file, and the front is marked
 * again. The chosen model stays the search's int8 one: the export is int8. */
#ifndef MOTE_CLI_AUTOML_PRECISION_H
#define MOTE_CLI_AUTOML_PRECISION_H

#include <stddef.h>

#include "mote/automl.h"

/* max_points: front trials tried, best validation first. 0, or -1 with err (r unchanged but for points
 * already added). */
int am_precision_pass(am_result *r, const tp_config *base, const char *out_dir, const char *target, int max_points,
                      char *err, size_t errlen);

#endif
