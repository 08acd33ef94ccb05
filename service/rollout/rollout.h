/* moted rollout: compile jobs, signed artifacts, deployments and the device
 * update protocol (docs/service.md). server.c starts it after the store is
 * open, mounts its routes next to its own and calls it from /metrics. */
#ifndef MOTED_ROLLOUT_H
#define MOTED_ROLLOUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "http/http.h"

struct moted_rollout;

/* Load or create the Ed25519 key pair in DATA/keys (signing.key 0600,
 * signing.pub; temp file + rename), put compile jobs found 'running' back to
 * 'queued', start the compile workers (config workers, default 1) and the
 * deployment ticker. NULL with a one-line message in err. */
struct moted_rollout *moted_rollout_start(moted *m, char *err, size_t errlen);
/* Stop and join the threads (a running job finishes first), free. NULL ok. */
void moted_rollout_stop(struct moted_rollout *r);

/* Routes of docs/service.md owned by the rollout (compile, jobs, artifacts,
 * deployments, device update and status). */
extern const moted_route moted_rollout_routes[];
extern const size_t moted_rollout_n_routes;

/* Prometheus text lines: mote_deployments{state}, mote_jobs{state} (gauges),
 * mote_update_polls_total (counter), with their # HELP/# TYPE lines, appended
 * to out (server.c may use open_memstream). */
void moted_rollout_metrics(moted *m, FILE *out);

/* Choose the target profile for a device (docs/service.md): the hint when it
 * names a profile whose core and features equal the facts'; otherwise the
 * profile in the targets directories with that core and features and the
 * largest RAM and flash within the device's; otherwise a profile made from the
 * facts, named "facts-<core>-<ram>k-<flash>k". profile gets the name.
 * 0 ok; -1 with a message naming the bad fact (missing/unknown core, ...). */
int moted_pick_profile(moted *m, json_t *facts, const char *hint, char *profile, size_t len, char *err,
                       size_t errlen);

/* A device registered or its tags changed: it joins the newest deployment of its groups that is not
 * rolled back (docs/service.md, "Devices that join later"). Failures are logged: the registration or
 * tag change itself stands. */
void moted_rollout_device_joined(moted *m, const char *device);

/* The server's Ed25519 public key, 64 hex ("" before moted_rollout_start). */
const char *moted_server_key_hex(moted *m);

#endif
