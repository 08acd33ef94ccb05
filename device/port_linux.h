/* Linux port of the device agent: HTTP with libcurl (a keep-alive handle
 * that the devices served by one thread share), slots in memory (mirrored to
 * files when a state directory is given), CLOCK_MONOTONIC, libsodium. */
#ifndef MOTE_AGENT_PORT_LINUX_H
#define MOTE_AGENT_PORT_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "mote/agent.h"

/* One libcurl easy handle with its connection cache, bound to a server. */
typedef struct mote_linux_http mote_linux_http;
/* base_url like "http://127.0.0.1:8080" (no trailing slash needed). NULL on failure.
 * Call curl_global_init once per process before (mote_linux_global_init). */
mote_linux_http *mote_linux_http_new(const char *base_url);
void mote_linux_http_free(mote_linux_http *h);
int mote_linux_global_init(void); /* curl + libsodium; 0 ok */

/* Called after every request (for the simulator's statistics). ok = 0 when the
 * transport failed. */
typedef void (*mote_linux_request_hook)(void *user, const char *method, const char *path, int status, int ok,
                                        uint64_t us);

typedef struct {
    mote_linux_http *http;       /* may be swapped between calls */
    char state_dir[512];         /* "" = memory only */
    uint8_t *slot[2];
    size_t slot_cap[2];
    mote_agent_record rec;
    int has_rec;
    unsigned flaky_pct;          /* cut this percentage of artifact downloads at a random byte */
    uint64_t rng;                /* xorshift state (deterministic per device) */
    uint32_t cuts;               /* downloads cut so far */
    mote_linux_request_hook hook;
    void *hook_user;
} mote_linux_dev;

/* Set up d (zeroed first) and fill *port. state_dir may be NULL; when it
 * holds a record and slots from an earlier run they are read now. 0 ok, -1
 * with a message in err. */
int mote_linux_dev_init(mote_linux_dev *d, mote_agent_port *port, const char *state_dir, uint64_t seed,
                        char *err, size_t errlen);
void mote_linux_dev_free(mote_linux_dev *d);

/* 16-byte aligned memory for arenas and slots, not zeroed (untouched pages
 * cost no RAM: a thousand simulated devices fit); free() it. */
void *mote_linux_arena(size_t bytes);

#endif
