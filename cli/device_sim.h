/* mote device-sim: the simulator's shared types (cmd_device_sim.c runs the
 * devices, device_sim_summary.c prints what they did). */
#ifndef MOTE_CLI_DEVICE_SIM_H
#define MOTE_CLI_DEVICE_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "port_linux.h"
#include "target/profile.h"

enum { K_REGISTER, K_UPDATE, K_ARTIFACT, K_STATUS, K_TELEMETRY, K_OTHER, K_COUNT };
extern const char *const device_sim_kind_names[K_COUNT];

typedef struct {
    uint64_t count, errors;
    uint32_t *us; /* latency samples */
    size_t n, cap;
} kind_stats;

typedef struct {
    mote_profile prof;
    const char *features[MOTE_FEAT_COUNT];
    int n_features;
} sim_profile;

typedef struct {
    char name[32];
    const sim_profile *sp;
    mote_linux_dev dev;
    mote_agent_port port;
    mote_agent agent;
    uint8_t *arena[2];
    char *io;
    uint8_t *sample;
    int ok_init;
    uint64_t next_poll, next_infer, next_telemetry;
    unsigned backoff_ms, seed;
    long next_input;     /* with --inputs: the file its next inference reads */
    int idle;
    const char *state;
} sim_dev;

typedef struct {
    const char *server, *token, *input_path, *inputs_dir, *until, *state_dir;
    const char *tags[16];
    int n_tags;
    long count, threads, poll_ms, infer_ms, telemetry_ms, flaky;
    double duration, exit_idle;
    uint8_t trust[32];
    int has_trust, json;
    uint8_t *input;
    size_t input_len;
    uint8_t **inputs;    /* --inputs DIR: every file of DIR/y_labels.csv */
    size_t *input_lens;
    long n_inputs;
} sim_opts;

typedef struct {
    const sim_opts *o;
    sim_dev *devs;
    long first, step; /* devices first, first + step, ... */
    kind_stats ks[K_COUNT];
    mote_linux_http *http;
} worker;

/* Per device and per request kind, text or JSON (o->json). 0 when every device registered. */
int device_sim_summary(const sim_opts *o, sim_dev *devs, worker *ws, double secs);

#endif
