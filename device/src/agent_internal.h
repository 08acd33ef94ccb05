/* Helpers shared by agent.c (life cycle, inference, telemetry) and
 * agent_update.c (poll, download, verify, install). */
#ifndef MOTE_AGENT_INTERNAL_H
#define MOTE_AGENT_INTERNAL_H

#include "codec.h"
#include "mote/agent.h"

/* last_error = a + b + c (any may be NULL), truncated. */
void ag_err(mote_agent *a, const char *x, const char *y, const char *z);

/* A request whose response body is collected into buf (NUL-terminated).
 * Returns OK, ERR_NET (transport, 5xx) or ERR_PROTO (body larger than cap). */
mote_agent_status ag_request(mote_agent *a, const char *method, const char *path, const char *token,
                             const char *body, char *buf, size_t cap, size_t *len, int *status);

/* sha256 of n bytes as lowercase hex (65 chars). */
void ag_sha256_hex(mote_agent *a, const uint8_t *p, size_t n, char out[65]);

/* Total bytes of a model's inputs or outputs. */
size_t ag_io_bytes(const mote_model *m, int outputs);

/* Persist a->rec; ERR_STORAGE with last_error set on failure. */
mote_agent_status ag_save(mote_agent *a);

/* Load slot's artifact into arena ar. OK or REJECTED (loader refused, last_error says why). */
mote_agent_status ag_load_slot(mote_agent *a, int slot, int ar);

/* Sampling (agent_sample.c): the policy in a telemetry answer; after an inference, keep its input if the
 * policy asks for it; upload the kept input (OK when none is kept). */
void ag_sample_policy(mote_agent *a, const char *resp, size_t len);
void ag_sample_consider(mote_agent *a, const mote_model *m, const uint8_t *input, size_t input_len, int cls,
                        uint16_t conf_permille, uint64_t now_us);
mote_agent_status ag_sample_upload(mote_agent *a);

#endif
