/* The document `mote inspect --json` prints (without --target), shared with
 * the service's model pages so both say the same thing. */
#ifndef MOTE_DRIVER_INSPECT_JSON_H
#define MOTE_DRIVER_INSPECT_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "host_model.h"
#include "ir/graph.h"

/* {"model","description","inputs","outputs","ops","totals","kernels" and "arena_bytes"|"runtime_error","runnable"}
 * for graph g named `model`; hm is the prepared model (NULL when it could
 * not be prepared, rt_err then says why). NULL only when out of memory. */
json_t *mote_inspect_json(const mote_ir_graph *g, const mote_host_model *hm, const char *rt_err, const char *model);

/* The same from a model file's bytes (copied): NULL with the importer's one-line
 * message in err when the model is refused. */
json_t *mote_inspect_json_bytes(const uint8_t *data, size_t len, const char *model, char *err, size_t errlen);

#endif
