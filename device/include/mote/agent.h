/* mote device agent: registers with moted, polls for updates, downloads
 * with resume, verifies, installs into the inactive slot, self-tests,
 * switches between two inferences, reports (protocol: docs/service.md).
 *
 * The agent core is C99 with no allocation, no stdio and no global state, so
 * it runs on a microcontroller: everything it touches (HTTP, flash slots, a
 * persistent record, the clock, SHA-256 and Ed25519) goes through the port,
 * and all memory (the agent struct, two model arenas, one I/O buffer) comes
 * from the caller. device/port_linux.h is the port for Linux (and the
 * simulator); an MCU build supplies its own.
 */
#ifndef MOTE_AGENT_H
#define MOTE_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "mote/infer_stats.h"
#include "mote/mote.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MOTE_AGENT_MAX_CLASSES 64
#define MOTE_AGENT_RECORD_MAGIC 0x4D41475Au /* "MAGZ", bumped when the record layout changes */

/* Response body chunks, in order; status is the HTTP status (known before the
 * first chunk). Return 0 to go on, non-zero to abort the transfer. */
typedef int (*mote_agent_sink)(void *user, int status, const uint8_t *data, size_t n);

/* Room for any SHA-256 implementation's state (libsodium's takes 104 bytes). */
typedef struct {
    uint64_t opaque[32];
} mote_sha256_state;

/* What survives a reboot (the port stores it, e.g. in a flash page). */
typedef struct {
    uint32_t magic;           /* MOTE_AGENT_RECORD_MAGIC when valid */
    char device_id[32];       /* "" until registered */
    char credential[72];
    char profile[64];         /* the profile the server assigned */
    uint8_t server_key[32];
    int32_t active_slot;      /* 0, 1, or -1 (no model yet) */
    char slot_sha[2][72];     /* sha256 hex of the complete, verified artifact in each slot, or "" */
    uint32_t slot_size[2];
    char dl_sha[72];          /* artifact being downloaded into the inactive slot, or "" */
    uint32_t dl_offset;       /* bytes of it already written there */
} mote_agent_record;

typedef struct mote_agent_port {
    void *ctx;
    /* One HTTP request. path starts with "/". auth_token NULL: no
     * Authorization header. range_from >= 0 sends "Range: bytes=N-". body (JSON)
     * may be NULL. The response body goes to on_data. *status gets the HTTP
     * status. Returns 0 when a response arrived completely, -1 when the
     * transport failed (no connection, cut in the middle, aborted by on_data). */
    int (*http)(void *ctx, const char *method, const char *path, const char *auth_token, int64_t range_from,
                const uint8_t *body, size_t body_len, mote_agent_sink on_data, void *user, int *status);
    /* Storage: two slots of artifact bytes. erase makes room for `bytes`
     * (-1 if the slot is smaller); map returns the slot's bytes, read-only and
     * 16-byte aligned (where the .mote loader runs them in place), with its
     * capacity. */
    int (*slot_erase)(void *ctx, int slot, size_t bytes);
    int (*slot_write)(void *ctx, int slot, size_t offset, const uint8_t *data, size_t n);
    const uint8_t *(*slot_map)(void *ctx, int slot, size_t *capacity);
    /* The persistent record: load returns 0, 1 when none is stored, -1 on error. */
    int (*record_load)(void *ctx, mote_agent_record *r);
    int (*record_save)(void *ctx, const mote_agent_record *r);
    /* Monotonic clock in microseconds (latency telemetry; ms = us / 1000). */
    uint64_t (*now_us)(void *ctx);
    /* Crypto. ed25519_verify returns 0 when the detached signature is valid. */
    void (*sha256_init)(void *ctx, mote_sha256_state *s);
    void (*sha256_update)(void *ctx, mote_sha256_state *s, const uint8_t *data, size_t n);
    void (*sha256_final)(void *ctx, mote_sha256_state *s, uint8_t out[32]);
    int (*ed25519_verify)(void *ctx, const uint8_t sig[64], const uint8_t *msg, size_t n, const uint8_t pk[32]);
} mote_agent_port;

/* The registration facts (docs/service.md); runtime_abi and formats are the
 * agent's own (MOTE_FILE_VERSION, "mote"). */
typedef struct {
    const char *core;         /* e.g. "cortex-m4f" */
    unsigned clock_mhz, ram_kb, flash_kb;
    const char *const *features;
    int n_features;
    const char *const *peripherals;
    int n_peripherals;
    const char *firmware;     /* NULL: "mote-agent" */
} mote_agent_facts;

typedef struct {
    const char *name;
    const char *profile;      /* hint for the server; may be NULL */
    const char *const *tags;
    int n_tags;
    mote_agent_facts facts;
    const uint8_t *trust_key; /* 32-byte Ed25519 key; NULL: the one the server gives at registration */
    uint8_t *arena[2];        /* active and candidate model arenas, 16-byte aligned */
    size_t arena_bytes[2];
    char *io_buf;             /* responses and request bodies: self-test vectors (base64) must fit */
    size_t io_cap;
    uint8_t *sample_buf;      /* one model input kept for upload when the server asks for samples */
    size_t sample_cap;        /* (NULL / 0: this device never uploads inputs) */
} mote_agent_config;

/* Which inputs the server wants back (its groups' sampling policy, docs/monitoring.md): those whose top-1
 * confidence is under max_conf_permille, and random_permille of the others, at most one per min_gap_s
 * seconds. All zero: none (the default; inputs never leave the device unless asked for). */
typedef struct {
    uint16_t max_conf_permille, random_permille;
    uint32_t min_gap_s;
} mote_agent_sampling;

typedef enum {
    MOTE_AGENT_OK = 0,      /* done (poll: an update was installed and confirmed) */
    MOTE_AGENT_IDLE,        /* poll: nothing to do */
    MOTE_AGENT_REJECTED,    /* poll: the update failed a check; reported as failed, active model unchanged */
    MOTE_AGENT_ERR_NET,     /* no answer, cut transfer, or a 5xx: try again later (downloads resume) */
    MOTE_AGENT_ERR_HTTP,    /* an unexpected 4xx (e.g. 401: credential unknown) */
    MOTE_AGENT_ERR_PROTO,   /* malformed response */
    MOTE_AGENT_ERR_STORAGE, /* slot or record failure */
    MOTE_AGENT_ERR_STATE,   /* not registered, or no active model */
    MOTE_AGENT_ERR_ARG      /* bad configuration or argument */
} mote_agent_status;

const char *mote_agent_status_name(mote_agent_status s);

typedef struct {
    uint64_t inferences;
    uint64_t latency_us_sum, latency_us_max;
    uint32_t histogram[MOTE_AGENT_MAX_CLASSES];
    uint32_t n_classes;
} mote_agent_stats;

/* Counters of what the agent did (for tests and the simulator's summary). */
typedef struct {
    uint32_t polls, updates_offered, installs, rejects, downloads_started, resumes, switches_without_download;
    uint32_t samples_taken, samples_sent;
    uint64_t bytes_downloaded;
    int last_http_status;
} mote_agent_counters;

/* Caller-allocated; treat the members as read-only. */
typedef struct mote_agent {
    const mote_agent_port *port;
    mote_agent_config cfg;
    mote_agent_record rec;
    mote_model model[2];
    int arena_loaded[2];     /* arena i holds a loaded model */
    int active_arena;        /* -1: none */
    mote_agent_stats stats;  /* since start (the device document's telemetry) */
    mote_infer_stats window; /* since the last telemetry report (drift monitoring) */
    mote_agent_counters counters;
    mote_agent_sampling sampling; /* the policy of the last telemetry answer */
    uint32_t rng;                 /* xorshift state of random sampling */
    uint64_t last_sample_us;
    int sample_pending, sample_class;
    uint16_t sample_conf;         /* permille */
    size_t sample_len;
    char last_error[192];    /* why the last call failed or the last update was rejected */
    /* the update being processed */
    int64_t deployment;
    char manifest[1024];
    char artifact_sha[72];
    char small[512];         /* short responses (status, telemetry) */
} mote_agent;

/* Load the persistent record and, when a slot is active, load its model. */
mote_agent_status mote_agent_init(mote_agent *a, const mote_agent_port *port, const mote_agent_config *cfg);
/* Register with an enrollment token unless the record already has an id. */
mote_agent_status mote_agent_register(mote_agent *a, const char *enroll_token);
/* One update check, and the whole install when there is an update. */
mote_agent_status mote_agent_poll_once(mote_agent *a);
/* Run the active model: input is copied into the model's input tensors in
 * order (zero-filled when shorter or NULL). *out / *out_len (may be NULL)
 * point at output 0. *cls (may be NULL) gets its argmax. */
mote_agent_status mote_agent_infer(mote_agent *a, const uint8_t *input, size_t len, const uint8_t **out,
                                   size_t *out_len, int *cls);
/* POST the cumulative inference statistics, the active artifact and the window since the last report
 * (mote/infer_stats.h), which starts again when the server took it; take the sampling policy from the
 * answer, and upload the input kept for it, if any (POST /v1/device/samples). */
mote_agent_status mote_agent_report_telemetry(mote_agent *a);
/* sha256 hex of the active artifact, or "". */
const char *mote_agent_active_sha(const mote_agent *a);

#ifdef __cplusplus
}
#endif
#endif
