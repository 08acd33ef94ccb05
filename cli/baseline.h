/* A model version's monitoring baseline: the inference statistics of the
 * device agent (mote/infer_stats.h, the same code) over a labelled folder,
 * run on the host runtime. `mote model push --baseline DIR` sends it. */
#ifndef MOTE_CLI_BASELINE_H
#define MOTE_CLI_BASELINE_H

#include <jansson.h>

#include "labelled.h"

/* The window document of model_path over every input of dir: *out (owned), 0; or -1 with a message on stderr
 * prefixed by cmd. */
int cli_baseline(const char *model_path, const char *dir, const cli_input_conv *conv, const char *cmd, json_t **out);

#endif
