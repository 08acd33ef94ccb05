/* Rollout start/stop: the signing key, the compile workers, the deployment
 * ticker, manifests and their signatures, and the rollout's metrics. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mote/mote_file.h"
#include "rollout/rollout_internal.h"

#define TICK_SECONDS 1

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, b, n);
}

static int read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return 0;
}

int rollout_keys(const char *data_dir, uint8_t pk[32], uint8_t sk[64], char *err, size_t errlen)
{
    char dir[1100], kpath[1200], ppath[1200], text[300];
    snprintf(dir, sizeof dir, "%s/keys", data_dir);
    snprintf(kpath, sizeof kpath, "%s/signing.key", dir);
    snprintf(ppath, sizeof ppath, "%s/signing.pub", dir);
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium: initialisation failed");
        return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if (read_small(kpath, text, sizeof text) == 0) {
        /* The key file is the 64-byte libsodium secret key (seed + public key) in hex. */
        size_t n = 0;
        if (sodium_hex2bin(sk, 64, text, strlen(text), " \n", &n, NULL) != 0 || n != 64) {
            snprintf(err, errlen, "%s: not a 128-hex Ed25519 secret key", kpath);
            return -1;
        }
        if (crypto_sign_ed25519_sk_to_pk(pk, sk) != 0) {
            snprintf(err, errlen, "%s: cannot derive the public key", kpath);
            return -1;
        }
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", kpath, strerror(errno));
        return -1;
    } else {
        crypto_sign_keypair(pk, sk);
        to_hex(sk, 64, text);
        strcat(text, "\n");
        if (mote_write_file_atomic(kpath, text, strlen(text), 0600, err, errlen) != 0) return -1;
    }
    /* signing.pub is derived: rewrite it when it is missing or disagrees. */
    char want[66], have[300] = "";
    to_hex(pk, 32, want);
    strcat(want, "\n");
    if (read_small(ppath, have, sizeof have) != 0 || strcmp(have, want) != 0)
        if (mote_write_file_atomic(ppath, want, strlen(want), 0644, err, errlen) != 0) return -1;
    return 0;
}

int rollout_manifest(char *out, size_t len, const char *sha256, int64_t size, const char *format,
                     const char *target, const char *model, const char *version, const char *st_in_sha,
                     const char *st_out_sha)
{
    int n = snprintf(out, len,
                     "mote-manifest=1\nartifact_sha256=%s\nsize=%lld\nformat=%s\ntarget=%s\nruntime_abi=%d\n"
                     "model=%s\nversion=%s\nselftest_input_sha256=%s\nselftest_expected_sha256=%s\n",
                     sha256, (long long)size, format, target, MOTE_FILE_VERSION, model, version, st_in_sha,
                     st_out_sha);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

void rollout_sign(const struct moted_rollout *r, const char *manifest, char sig_hex[129])
{
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const uint8_t *)manifest, strlen(manifest), r->sk);
    to_hex(sig, sizeof sig, sig_hex);
}

void rollout_wake(struct moted_rollout *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->wake = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int rollout_init(struct moted_rollout *r, moted *m, mote_store *s, const char *data_dir, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->m = m;
    r->s = s;
    atomic_init(&r->polls, 0);
    if (rollout_keys(data_dir, r->pk, r->sk, err, errlen) != 0) return -1;
    to_hex(r->pk, 32, r->pk_hex);
    if (pthread_mutex_init(&r->mu, NULL) != 0 || pthread_cond_init(&r->cv, NULL) != 0) {
        snprintf(err, errlen, "rollout: cannot create a mutex");
        return -1;
    }
    return 0;
}

/* Sleep up to TICK_SECONDS or until woken; 1 when stopping. */
static int wait_tick(struct moted_rollout *r)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += TICK_SECONDS;
    pthread_mutex_lock(&r->mu);
    while (!r->stop && !r->wake)
        if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0) break;
    r->wake = 0;
    int stop = r->stop;
    pthread_mutex_unlock(&r->mu);
    return stop;
}

static int stopping(struct moted_rollout *r)
{
    pthread_mutex_lock(&r->mu);
    int s = r->stop;
    pthread_mutex_unlock(&r->mu);
    return s;
}

static void *worker_main(void *arg)
{
    struct moted_rollout *r = arg;
    while (!stopping(r)) {
        int rc = compile_run_next(r);
        if (rc == 0) {
            /* A finished job may let deployments leave "compiling". */
            if (deploy_tick(r) != 0) moted_log(r->m, "error", "deployments: %s", mote_store_error(r->s));
            continue;
        }
        if (rc < 0) moted_log(r->m, "error", "compile worker: %s", mote_store_error(r->s));
        if (wait_tick(r)) break;
    }
    return NULL;
}

static void *ticker_main(void *arg)
{
    struct moted_rollout *r = arg;
    do {
        if (deploy_tick(r) != 0) moted_log(r->m, "error", "deployments: %s", mote_store_error(r->s));
    } while (!wait_tick(r));
    return NULL;
}

struct moted_rollout *moted_rollout_start(moted *m, char *err, size_t errlen)
{
    struct moted_rollout *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "rollout: out of memory");
        return NULL;
    }
    if (rollout_init(r, m, moted_store(m), moted_data_dir(m), err, errlen) != 0) {
        free(r);
        return NULL;
    }
    if (mote_store_job_requeue_running(r->s) != 0) {
        snprintf(err, errlen, "%s", mote_store_error(r->s));
        moted_rollout_stop(r);
        return NULL;
    }
    int n = moted_cfg(m)->workers > 0 ? moted_cfg(m)->workers : 1;
    r->workers = calloc((size_t)n, sizeof *r->workers);
    if (!r->workers) {
        snprintf(err, errlen, "rollout: out of memory");
        moted_rollout_stop(r);
        return NULL;
    }
    r->n_workers = n;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&r->workers[i], NULL, worker_main, r) != 0) {
            snprintf(err, errlen, "rollout: cannot start compile worker %d", i);
            moted_rollout_stop(r);
            return NULL;
        }
        r->started_workers++;
    }
    if (pthread_create(&r->ticker, NULL, ticker_main, r) != 0) {
        snprintf(err, errlen, "rollout: cannot start the deployment ticker");
        moted_rollout_stop(r);
        return NULL;
    }
    r->ticker_started = 1;
    return r;
}

void moted_rollout_stop(struct moted_rollout *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < r->started_workers; i++) pthread_join(r->workers[i], NULL);
    if (r->ticker_started) pthread_join(r->ticker, NULL);
    free(r->workers);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    sodium_memzero(r->sk, sizeof r->sk);
    free(r);
}

static void write_gauge(FILE *out, const char *name, const char *help, json_t *counts)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    const char *k;
    json_t *v;
    json_object_foreach(counts, k, v) fprintf(out, "%s{state=\"%s\"} %lld\n", name, k, (long long)json_integer_value(v));
}

void moted_rollout_metrics(moted *m, FILE *out)
{
    mote_store *s = moted_store(m);
    json_t *d = mote_store_deployment_counts(s), *j = mote_store_job_counts(s);
    if (d) write_gauge(out, "mote_deployments", "Deployments by state.", d);
    if (j) write_gauge(out, "mote_jobs", "Compile jobs by state.", j);
    json_decref(d);
    json_decref(j);
    uint64_t polls = m->rollout ? atomic_load(&m->rollout->polls) : 0;
    fprintf(out, "# HELP mote_update_polls_total Device update polls.\n# TYPE mote_update_polls_total counter\n"
                 "mote_update_polls_total %llu\n", (unsigned long long)polls);
}

int moted_pick_profile(moted *m, json_t *facts, const char *hint, char *profile, size_t len, char *err,
                       size_t errlen)
{
    (void)m;
    mote_profile p;
    if (rollout_pick_profile(facts, hint, &p, err, errlen) != 0) return -1;
    snprintf(profile, len, "%s", p.name);
    return 0;
}

const char *moted_server_key_hex(moted *m)
{
    return m && m->rollout ? m->rollout->pk_hex : "";
}

void moted_rollout_device_joined(moted *m, const char *device)
{
    char err[512];
    if (m && m->rollout && deploy_join(m->rollout, device, err, sizeof err) < 0)
        moted_log(m, "error", "device %s: joining its group's deployment: %s", device, err);
}
