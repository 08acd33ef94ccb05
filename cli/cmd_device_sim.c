/* mote device-sim: many device agents (device/) against a moted server, on a
 * few worker threads. Each worker serves its share of the devices round-robin
 * with one keep-alive HTTP handle: register, poll, infer, report telemetry,
 * back off while the server is away, and print a summary at the end. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "labelled.h"
#include "device_sim.h"
#include "mote/agent.h"

#define IO_BYTES (64u * 1024u)
#define SAMPLE_BYTES (16u * 1024u)
#define MAX_BACKOFF_MS 5000u

static volatile sig_atomic_t stop_flag;
static pthread_mutex_t activity_mu = PTHREAD_MUTEX_INITIALIZER;
static long busy_devices;         /* devices whose last poll was not idle (or not registered yet) */
static uint64_t last_activity_ms; /* when the last of them became idle */

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A device's last poll was idle (nothing to do) or not: --exit-when-idle
 * waits until every device is idle, then S seconds more. */
static void set_idle(sim_dev *d, int idle)
{
    if (d->idle == idle) return;
    d->idle = idle;
    pthread_mutex_lock(&activity_mu);
    busy_devices += idle ? -1 : 1;
    last_activity_ms = now_ms();
    pthread_mutex_unlock(&activity_mu);
}

static int kind_of(const char *path)
{
    if (!strcmp(path, "/v1/devices")) return K_REGISTER;
    if (!strcmp(path, "/v1/device/update")) return K_UPDATE;
    if (!strncmp(path, "/v1/artifacts/", 14)) return K_ARTIFACT;
    if (!strcmp(path, "/v1/device/status")) return K_STATUS;
    if (!strcmp(path, "/v1/device/telemetry")) return K_TELEMETRY;
    return K_OTHER;
}

static void on_request(void *user, const char *method, const char *path, int status, int ok, uint64_t us)
{
    (void)method;
    kind_stats *k = &((worker *)user)->ks[kind_of(path)];
    k->count++;
    if (!ok || status >= 400 || status == 0) k->errors++;
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 256;
        uint32_t *p = realloc(k->us, cap * sizeof *p);
        if (!p) return; /* statistics only: drop the sample */
        k->us = p;
        k->cap = cap;
    }
    k->us[k->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* Exponential back-off with jitter, so a restarted server is not hit by all devices at once. */
static uint64_t backoff(sim_dev *d, const sim_opts *o, uint64_t now)
{
    d->backoff_ms = d->backoff_ms ? d->backoff_ms * 2 : (unsigned)o->poll_ms;
    if (d->backoff_ms > MAX_BACKOFF_MS) d->backoff_ms = MAX_BACKOFF_MS;
    return now + d->backoff_ms / 2 + (uint64_t)rand_r(&d->seed) % (d->backoff_ms / 2 + 1);
}

/* One turn of a device: whatever is due. Returns the next time it needs a turn. */
static uint64_t device_step(worker *w, sim_dev *d, uint64_t now)
{
    const sim_opts *o = w->o;
    d->dev.http = w->http;
    if (!d->agent.rec.device_id[0]) {
        mote_agent_status s = mote_agent_register(&d->agent, o->token);
        if (s != MOTE_AGENT_OK) {
            d->state = s == MOTE_AGENT_ERR_NET ? "offline" : "unregistered";
            if (s != MOTE_AGENT_ERR_NET) fprintf(stderr, "mote device-sim: %s: %s\n", d->name, d->agent.last_error);
            d->next_poll = backoff(d, o, now);
            return d->next_poll;
        }
        d->backoff_ms = 0;
        d->state = "registered";
    }
    if (now >= d->next_poll) {
        mote_agent_status s = mote_agent_poll_once(&d->agent);
        now = now_ms();
        set_idle(d, s == MOTE_AGENT_IDLE);
        if (s == MOTE_AGENT_ERR_NET || s == MOTE_AGENT_ERR_HTTP || s == MOTE_AGENT_ERR_PROTO) {
            d->state = "offline";
            d->next_poll = backoff(d, o, now);
        } else {
            d->backoff_ms = 0;
            if (s == MOTE_AGENT_REJECTED) d->state = "failed";
            else if (s == MOTE_AGENT_OK || d->agent.active_arena >= 0) d->state = "running";
            else if (strcmp(d->state, "failed")) d->state = "registered";
            d->next_poll = now + (uint64_t)o->poll_ms;
        }
    }
    if (d->agent.active_arena >= 0 && now >= d->next_infer) {
        if (o->n_inputs) {
            long k = d->next_input++ % o->n_inputs;
            (void)mote_agent_infer(&d->agent, o->inputs[k], o->input_lens[k], NULL, NULL, NULL);
        } else {
            (void)mote_agent_infer(&d->agent, o->input, o->input_len, NULL, NULL, NULL);
        }
        d->next_infer = now + (uint64_t)o->infer_ms;
    }
    if (d->agent.stats.inferences && now >= d->next_telemetry && strcmp(d->state, "offline")) {
        (void)mote_agent_report_telemetry(&d->agent);
        d->next_telemetry = now + (uint64_t)o->telemetry_ms;
    }
    uint64_t next = d->next_poll;
    if (d->agent.active_arena >= 0 && d->next_infer < next) next = d->next_infer;
    return next;
}

static int should_stop(const sim_opts *o, uint64_t start)
{
    uint64_t now = now_ms();
    if (stop_flag) return 1;
    if (o->duration > 0 && now - start >= (uint64_t)(o->duration * 1000)) return 1;
    if (o->until && access(o->until, F_OK) == 0) return 1;
    if (o->exit_idle > 0) {
        pthread_mutex_lock(&activity_mu);
        int idle = busy_devices == 0 && now - last_activity_ms >= (uint64_t)(o->exit_idle * 1000);
        pthread_mutex_unlock(&activity_mu);
        if (idle) return 1;
    }
    return 0;
}

static uint64_t sim_start_ms;

static void *worker_main(void *arg)
{
    worker *w = (worker *)arg;
    while (!should_stop(w->o, sim_start_ms)) {
        uint64_t now = now_ms(), next = now + 50;
        for (long i = w->first; i < w->o->count && !stop_flag; i += w->step) {
            sim_dev *d = &w->devs[i];
            if (!d->ok_init) continue;
            uint64_t due = d->next_poll < d->next_infer || d->agent.active_arena < 0 ? d->next_poll : d->next_infer;
            if (!d->agent.rec.device_id[0]) due = d->next_poll;
            if (due <= now) due = device_step(w, d, now);
            if (due < next) next = due;
            now = now_ms();
        }
        now = now_ms();
        if (next > now) {
            uint64_t ms = next - now;
            struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

static void help(FILE *f)
{
    fprintf(f,
            "usage: mote device-sim --server URL (--enroll-token T | --enroll-token-file F) [options]\n\n"
            "Runs N simulated devices, each a real device agent (device/) with its own slots and\n"
            "arenas: they register, poll for updates, download (resuming), verify, self-test,\n"
            "switch, run inferences and report telemetry, retrying with back-off while the server\n"
            "is unreachable. Prints a summary at the end (per device and per request kind).\n\n"
            "  --count N              devices (default 1)\n"
            "  --profile P[,P...]     target profiles, assigned round-robin (default nucleo-l4r5zi)\n"
            "  --tags a,b             tags sent at registration\n"
            "  --poll-ms MS           update poll interval (default 500)\n"
            "  --infer-ms MS          inference interval (default 200)\n"
            "  --telemetry-ms MS      telemetry interval (default 2000)\n"
            "  --input FILE           inference input bytes (default zeros)\n"
            "  --inputs DIR           inference inputs: the files of DIR/y_labels.csv in turn (device\n"
            "                         i starts at file 7i), e.g. ../shared/data/mlperf-tiny-eval/kws01\n"
            "  --duration S           stop after S seconds\n"
            "  --until FILE           stop when FILE exists\n"
            "  --exit-when-idle S     stop once every device is registered and none did more than an\n"
            "                         idle poll for S seconds\n"
            "  --threads N            worker threads (default min(N, 4))\n"
            "  --trust-key HEX        server public key (64 hex); default: the one given at registration\n"
            "  --state-dir D          keep each device's record and slots in D/NAME (survives restarts)\n"
            "  --flaky-download PCT   cut PCT%% of artifact downloads at a random byte (fixed seed)\n"
            "  --json                 summary as JSON\n"
            "Without --duration, --until or --exit-when-idle it runs until SIGINT/SIGTERM.\n");
}

/* --inputs DIR: read every file its y_labels.csv names. */
static int read_inputs(sim_opts *o)
{
    cli_labelled set;
    if (cli_labelled_open(o->inputs_dir, 0, -1, "device-sim", &set) != 0) return -1;
    int rc = 0;
    o->inputs = calloc((size_t)set.n + 1, sizeof *o->inputs);
    o->input_lens = calloc((size_t)set.n + 1, sizeof *o->input_lens);
    for (long i = 0; rc == 0 && i < set.n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", set.dir, set.files[i]);
        if (!o->inputs || !o->input_lens || !(o->inputs[i] = cli_read_file(path, &o->input_lens[i]))) rc = -1;
        else o->n_inputs = i + 1;
    }
    if (rc == 0 && o->n_inputs == 0) {
        fprintf(stderr, "mote device-sim: %s: no inputs listed\n", o->inputs_dir);
        rc = -1;
    }
    cli_labelled_free(&set);
    return rc;
}

static int usage_err(const char *msg, const char *arg)
{
    fprintf(stderr, "mote device-sim: %s%s%s (see --help)\n", msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

static int parse_seconds(const char *opt, const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    if (*end || *out <= 0) {
        fprintf(stderr, "mote device-sim: %s: '%s' is not a positive number of seconds\n", opt, s);
        return -1;
    }
    return 0;
}

/* Split "a,b,c" in place into at most max pieces. */
static int split(char *s, const char **out, int max)
{
    int n = 0;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (n == max) return -1;
        out[n++] = tok;
    }
    return n;
}

static int read_token_file(const char *path, char *out, size_t cap)
{
    size_t len;
    uint8_t *p = cli_read_file(path, &len);
    if (!p) return -1;
    while (len && (p[len - 1] == '\n' || p[len - 1] == '\r' || p[len - 1] == ' ')) len--;
    if (len == 0 || len >= cap) {
        fprintf(stderr, "mote device-sim: %s: empty or too long for a token\n", path);
        free(p);
        return -1;
    }
    memcpy(out, p, len);
    out[len] = 0;
    free(p);
    return 0;
}

static int setup_device(sim_dev *d, long i, const sim_opts *o, const sim_profile *sp, mote_agent_config *cfg)
{
    char err[600], dir[600];
    snprintf(d->name, sizeof d->name, "sim-%04ld", i);
    d->sp = sp;
    d->state = "unregistered";
    d->seed = (unsigned)i + 1;
    if (o->state_dir) snprintf(dir, sizeof dir, "%s/%s", o->state_dir, d->name);
    if (mote_linux_dev_init(&d->dev, &d->port, o->state_dir ? dir : NULL, (uint64_t)i + 1, err, sizeof err)) {
        fprintf(stderr, "mote device-sim: %s\n", err);
        return -1;
    }
    d->dev.flaky_pct = (unsigned)o->flaky;
    /* the arena a device has: its RAM (capped; pages untouched cost nothing) */
    size_t arena = (sp->prof.ram_kb && sp->prof.ram_kb < 1024 ? sp->prof.ram_kb : 1024) * 1024;
    d->arena[0] = mote_linux_arena(arena);
    d->arena[1] = mote_linux_arena(arena);
    d->io = malloc(IO_BYTES);
    /* the input kept for upload when the server's sampling policy asks for it */
    d->sample = malloc(SAMPLE_BYTES);
    if (!d->arena[0] || !d->arena[1] || !d->io || !d->sample) {
        fprintf(stderr, "mote device-sim: out of memory at device %ld\n", i);
        return -1;
    }
    cfg->name = d->name;
    cfg->profile = sp->prof.name;
    cfg->facts.core = mote_core_name(sp->prof.core);
    cfg->facts.clock_mhz = sp->prof.clock_mhz;
    cfg->facts.ram_kb = (unsigned)sp->prof.ram_kb;
    cfg->facts.flash_kb = (unsigned)sp->prof.flash_kb;
    cfg->facts.features = sp->features;
    cfg->facts.n_features = sp->n_features;
    cfg->facts.firmware = "sim-1.0";
    cfg->arena[0] = d->arena[0];
    cfg->arena[1] = d->arena[1];
    cfg->arena_bytes[0] = cfg->arena_bytes[1] = arena;
    cfg->io_buf = d->io;
    cfg->io_cap = IO_BYTES;
    cfg->sample_buf = d->sample;
    cfg->sample_cap = SAMPLE_BYTES;
    if (mote_agent_init(&d->agent, &d->port, cfg) != MOTE_AGENT_OK) {
        fprintf(stderr, "mote device-sim: %s: %s\n", d->name, d->agent.last_error);
        return -1;
    }
    if (d->agent.active_arena >= 0) d->state = "running";
    d->ok_init = 1;
    return 0;
}

int cmd_device_sim(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    sim_opts o;
    memset(&o, 0, sizeof o);
    o.count = 1;
    o.poll_ms = 500;
    o.infer_ms = 200;
    o.telemetry_ms = 2000;
    char token[256] = "", profiles_arg[512] = "nucleo-l4r5zi", tags_arg[512] = "";
    const char *token_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            o.json = 1;
            continue;
        }
        if (i + 1 >= argc || strncmp(a, "--", 2)) return usage_err(i + 1 >= argc ? "missing value for" : "unexpected argument", a);
        const char *v = argv[++i];
        long *num = NULL;
        if (!strcmp(a, "--server")) o.server = v;
        else if (!strcmp(a, "--enroll-token")) snprintf(token, sizeof token, "%s", v);
        else if (!strcmp(a, "--enroll-token-file")) token_file = v;
        else if (!strcmp(a, "--profile")) snprintf(profiles_arg, sizeof profiles_arg, "%s", v);
        else if (!strcmp(a, "--tags")) snprintf(tags_arg, sizeof tags_arg, "%s", v);
        else if (!strcmp(a, "--input")) o.input_path = v;
        else if (!strcmp(a, "--inputs")) o.inputs_dir = v;
        else if (!strcmp(a, "--until")) o.until = v;
        else if (!strcmp(a, "--state-dir")) o.state_dir = v;
        else if (!strcmp(a, "--count")) num = &o.count;
        else if (!strcmp(a, "--threads")) num = &o.threads;
        else if (!strcmp(a, "--poll-ms")) num = &o.poll_ms;
        else if (!strcmp(a, "--infer-ms")) num = &o.infer_ms;
        else if (!strcmp(a, "--telemetry-ms")) num = &o.telemetry_ms;
        else if (!strcmp(a, "--flaky-download")) {
            char *end;
            o.flaky = strtol(v, &end, 10);
            if (*end || o.flaky < 0 || o.flaky > 100) return usage_err("--flaky-download: not a percentage", v);
        } else if (!strcmp(a, "--duration")) {
            if (parse_seconds(a, v, &o.duration)) return 2;
        } else if (!strcmp(a, "--exit-when-idle")) {
            if (parse_seconds(a, v, &o.exit_idle)) return 2;
        } else if (!strcmp(a, "--trust-key")) {
            if (strlen(v) != 64) return usage_err("--trust-key: not 64 hex digits", v);
            for (int k = 0; k < 32; k++) {
                unsigned b;
                if (sscanf(v + 2 * k, "%2x", &b) != 1) return usage_err("--trust-key: not 64 hex digits", v);
                o.trust[k] = (uint8_t)b;
            }
            o.has_trust = 1;
        } else return usage_err("unknown option", a);
        if (num && (*num = cli_parse_count(a, v)) < 0) return 2;
    }
    if (!o.server) return usage_err("--server URL is required", NULL);
    if (!token[0] && !token_file) return usage_err("--enroll-token or --enroll-token-file is required", NULL);
    if (token_file && read_token_file(token_file, token, sizeof token)) return 1;
    o.token = token;
    if (o.count > 100000) return usage_err("--count: at most 100000", NULL);
    if (!o.threads) o.threads = o.count < 4 ? o.count : 4;
    if (o.threads > o.count) o.threads = o.count;
    const char *pnames[32];
    int np = split(profiles_arg, pnames, 32);
    o.n_tags = split(tags_arg, o.tags, 16);
    if (np <= 0) return usage_err("--profile: one to 32 names", NULL);
    if (o.n_tags < 0) return usage_err("--tags: at most 16", NULL);
    if (o.input_path && !(o.input = cli_read_file(o.input_path, &o.input_len))) return 1;
    if (o.inputs_dir && read_inputs(&o) != 0) return 1;
    if (o.state_dir && mkdir(o.state_dir, 0700) != 0 && access(o.state_dir, W_OK) != 0) {
        fprintf(stderr, "mote device-sim: %s: cannot create the state directory\n", o.state_dir);
        return 1;
    }

    sim_profile sps[32];
    for (int p = 0; p < np; p++) {
        char err[768];
        if (mote_profile_find(pnames[p], &sps[p].prof, err, sizeof err)) {
            fprintf(stderr, "mote device-sim: %s\n", err);
            return 1;
        }
        sps[p].n_features = 0;
        for (int b = 0; b < MOTE_FEAT_COUNT; b++)
            if ((sps[p].prof.features >> b) & 1u) sps[p].features[sps[p].n_features++] = mote_feature_name(b);
    }
    if (mote_linux_global_init()) {
        fprintf(stderr, "mote device-sim: libcurl or libsodium failed to initialize\n");
        return 1;
    }
    int rc = 1;
    sim_dev *devs = calloc((size_t)o.count, sizeof *devs);
    worker *ws = calloc((size_t)o.threads, sizeof *ws);
    pthread_t *th = calloc((size_t)o.threads, sizeof *th);
    long started = 0;
    if (!devs || !ws || !th) {
        fprintf(stderr, "mote device-sim: out of memory for %ld devices\n", o.count);
        goto done;
    }
    for (long t = 0; t < o.threads; t++) {
        ws[t].o = &o;
        ws[t].devs = devs;
        ws[t].first = t;
        ws[t].step = o.threads;
        if (!(ws[t].http = mote_linux_http_new(o.server))) {
            fprintf(stderr, "mote device-sim: %s: cannot set up an HTTP client\n", o.server);
            goto done;
        }
    }
    uint64_t t0 = now_ms();
    for (long i = 0; i < o.count; i++) {
        mote_agent_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.tags = o.tags;
        cfg.n_tags = o.n_tags;
        cfg.trust_key = o.has_trust ? o.trust : NULL;
        if (setup_device(&devs[i], i, &o, &sps[i % np], &cfg)) goto done;
        worker *w = &ws[i % o.threads];
        devs[i].dev.hook = on_request;
        devs[i].dev.hook_user = w;
        /* spread the first requests over one poll interval */
        devs[i].next_poll = t0 + (uint64_t)(i * o.poll_ms / o.count);
        devs[i].next_infer = devs[i].next_poll;
        devs[i].next_telemetry = t0 + (uint64_t)o.telemetry_ms;
        devs[i].next_input = 7 * i;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    sim_start_ms = last_activity_ms = now_ms();
    busy_devices = o.count;
    for (; started < o.threads; started++)
        if (pthread_create(&th[started], NULL, worker_main, &ws[started])) {
            fprintf(stderr, "mote device-sim: cannot start worker thread %ld\n", started);
            stop_flag = 1;
            break;
        }
    for (long t = 0; t < started; t++) pthread_join(th[t], NULL);
    if (started == o.threads) rc = device_sim_summary(&o, devs, ws, (double)(now_ms() - sim_start_ms) / 1000.0);
done:
    for (long i = 0; devs && i < o.count; i++) {
        mote_linux_dev_free(&devs[i].dev);
        free(devs[i].arena[0]);
        free(devs[i].arena[1]);
        free(devs[i].io);
        free(devs[i].sample);
    }
    for (long t = 0; ws && t < o.threads; t++) {
        mote_linux_http_free(ws[t].http);
        for (int k = 0; k < K_COUNT; k++) free(ws[t].ks[k].us);
    }
    free(devs);
    free(ws);
    free(th);
    free(o.input);
    for (long i = 0; i < o.n_inputs; i++) free(o.inputs[i]);
    free(o.inputs);
    free(o.input_lens);
    return rc;
}
