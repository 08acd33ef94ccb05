/* Helpers of the handlers in api/ (api.c). */
#ifndef MOTED_API_COMMON_H
#define MOTED_API_COMMON_H

#include <stddef.h>

#include "api/api.h"

/* Log a storage failure of what and answer 500 with the store's message. */
void api_storage_error(moted *m, moted_resp *resp, const char *what);
/* Is s 1..max printable ASCII characters? */
int api_printable(const char *s, size_t max);

/* Names and versions appear in URLs and folder names: 1..max letters, digits, '.', '_', '-', not starting
 * with '.'. */
int api_ident(const char *s, size_t max);

/* The route tables of ops.c, models.c, devices.c, rollout.c, datasets.c, automl.c, monitor.c and samples.c. */
extern const moted_api_table api_ops_table, api_models_table, api_devices_table, api_rollout_table,
    api_datasets_table, api_automl_table, api_monitor_table, api_samples_table;

#endif
