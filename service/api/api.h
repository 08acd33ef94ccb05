/* moted's HTTP API (docs/service.md, docs/openapi.yaml): the route tables of
 * the handlers in this folder, and who holds a bearer token. moted.c hands
 * both to the request engine (http/http.h). */
#ifndef MOTED_API_H
#define MOTED_API_H

#include <stddef.h>

#include "http/http.h"

/* One file's routes. */
typedef struct {
    const moted_route *routes;
    size_t n;
} moted_api_table;

/* Every table, in the order the engine matches them: operations, models,
 * devices, rollout, datasets, AutoML, monitoring, samples. */
extern const moted_api_table *const moted_api_tables[];
extern const size_t moted_api_n_tables;

/* moted_auth_fn of the API: a device credential (last_seen is updated) or a
 * user/enrollment token, by the sha256 the store keeps. */
int moted_api_authenticate(moted *m, const char *token, moted_role *role, char device_id[24], char *err,
                           size_t errlen);

#endif
