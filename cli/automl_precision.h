/* Precision in mote automl's search: after the search, each int8 trial on the front goes through the
 * mixed-precision search of `mote quantize --bits auto` (compiler/quant/mixed.h): int4 weights layer by layer,
 * each combination scored on held-out examples (the validation split, or training examples when the dataset
 * has none: never the test split) and costed on the device. Its choice (the least flash within 1 pp of the
 * float model) and uniform int4, when they fit, keep the --max-* limits and have int4 layers, join the
 * trials as new points ("<key> +mixed", "<key> +int4") with their test accuracy from the written file, and
 * the front is marked again. The chosen model stays the search's int8 one: the export is int8. */
#ifndef MOTE_CLI_AUTOML_PRECISION_H
#define MOTE_CLI_AUTOML_PRECISION_H

#include <stddef.h>

#include "mote/automl.h"

/* a: the search's configuration (data, OUT, the --max-* limits, which the points must keep too).
 * max_points: front trials tried, best validation first. A trial that gives no point (nothing within 1 pp,
 * a file that cannot be read) is noted on stderr unless quiet and the rest go on. 0, or -1 out of memory. */
int am_precision_pass(am_result *r, const am_config *a, const char *target, int max_points, int quiet, char *err,
                      size_t errlen);

#endif
