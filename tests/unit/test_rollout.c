/* moted rollout on a real temp-dir store: manifests and signatures, profile
 * choice, compile jobs (fit, cache), the deployment state machine driven by
 * synthetic device reports, and a restart in the middle of a rollout. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mote/mote_file.h"
#include "rollout/deploy.h"
#include "rollout/jobs.h"
#include "rollout/sched.h"
#include "rollout/sign.h"

#define KWS MOTE_SHARED_DIR "/models/mlperf-tiny/kws_int8.tflite"
#define HELLO MOTE_SHARED_DIR "/models/tflm/hello_world_int8.tflite"

static char dir[64];
/* What a server would hold: the store and the rollout on it. */
static struct {
    mote_store *store;
    moted_rollout *rollout;
} srv;
static struct moted_rollout ro;

static void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* A fresh data dir, store and thread-less rollout. */
static void open_all(void)
{
    char err[1024];
    srv.store = mote_store_open(dir, err, sizeof err);
    assert_non_null(srv.store);
    assert_int_equal(rollout_init(&ro, NULL, srv.store, dir, err, sizeof err), 0);
    srv.rollout = &ro;
}

static void close_all(void)
{
    rollout_fini(&ro);
    mote_store_close(srv.store);
    srv.store = NULL;
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0) return -1;
    snprintf(dir, sizeof dir, "/tmp/test_rollout.XXXXXX");
    if (!mkdtemp(dir)) return -1;
    open_all();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    close_all();
    rm_rf(dir);
    return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void push_model(const char *path, const char *name, const char *version, mote_model_rec *m)
{
    size_t len;
    uint8_t *b = slurp(path, &len);
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    snprintf(m->version, sizeof m->version, "%s", version);
    assert_int_equal(mote_store_blob_put(srv.store, b, len, m->sha256), 0);
    m->size = (int64_t)len;
    m->metadata = json_object();
    assert_int_equal(mote_store_model_add(srv.store, m), 0);
    assert_true(m->id > 0);
    free(b);
}

static json_t *m4f_facts(int ram, int flash)
{
    return json_pack("{s:s,s:i,s:i,s:i,s:[s,s],s:i,s:[s]}", "core", "cortex-m4f", "clock_mhz", 120, "ram_kb", ram,
                     "flash_kb", flash, "features", "dsp", "fpu", "runtime_abi", MOTE_FILE_VERSION, "formats", "mote");
}

/* Devices first..first+n-1 carrying tag; odd ones with profile alt when not NULL (same core, less memory). */
static void add_devices_from(int first, int n, const char *tag, const char *alt)
{
    for (int i = first; i < first + n; i++) {
        mote_device_rec d;
        memset(&d, 0, sizeof d);
        snprintf(d.id, sizeof d.id, "d-%016x", (unsigned)(0x1000 + i));
        snprintf(d.name, sizeof d.name, "sim-%04d", i);
        snprintf(d.profile, sizeof d.profile, "%s", alt && i % 2 ? alt : "nucleo-l4r5zi");
        d.facts = m4f_facts(640, 2048);
        d.tags = json_pack("[s]", tag);
        char cred[65];
        snprintf(cred, sizeof cred, "%064x", (unsigned)(0x5000 + i));
        assert_int_equal(mote_store_device_add(srv.store, &d, cred), 0);
        json_decref(d.facts);
        json_decref(d.tags);
    }
}

static void add_devices_alt(int n, const char *tag, const char *alt)
{
    add_devices_from(0, n, tag, alt);
}

static void add_devices(int n, const char *tag)
{
    add_devices_alt(n, tag, NULL);
}

static void dev_id(int i, char out[24])
{
    snprintf(out, 24, "d-%016x", (unsigned)(0x1000 + i));
}

static void test_manifest_signature(void **state)
{
    (void)state;
    char text[1024];
    const char *sha = "ab00000000000000000000000000000000000000000000000000000000000001";
    assert_int_equal(rollout_manifest(text, sizeof text, sha, 12345, "mote", "nucleo-l4r5zi", "kws", "1.0",
                                      "11" "00000000000000000000000000000000000000000000000000000000000000",
                                      "22" "00000000000000000000000000000000000000000000000000000000000000"),
                     0);
    char want[1024];
    snprintf(want, sizeof want,
             "mote-manifest=1\nartifact_sha256=%s\nsize=12345\nformat=mote\ntarget=nucleo-l4r5zi\nruntime_abi=%d\n"
             "model=kws\nversion=1.0\nselftest_input_sha256=11%062d\nselftest_expected_sha256=22%062d\n",
             sha, MOTE_FILE_VERSION, 0, 0);
    assert_string_equal(text, want);

    char sig_hex[129];
    rollout_sign(&ro.keys, text, sig_hex);
    uint8_t sig[64];
    assert_int_equal(sodium_hex2bin(sig, 64, sig_hex, 128, NULL, NULL, NULL), 0);
    assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)text, strlen(text), ro.keys.pk), 0);
    text[40] ^= 1; /* one byte of the artifact hash */
    assert_int_not_equal(crypto_sign_verify_detached(sig, (const uint8_t *)text, strlen(text), ro.keys.pk), 0);

    /* The public key on disk is the one in use; the secret key is 0600; a restart keeps the pair. */
    char path[200], pub[200] = "";
    snprintf(path, sizeof path, "%s/keys/signing.pub", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(pub, sizeof pub, f));
    fclose(f);
    assert_int_equal(strncmp(pub, ro.keys.pk_hex, 64), 0);
    assert_string_equal(moted_rollout_key_hex(&ro), ro.keys.pk_hex);
    struct stat sb;
    snprintf(path, sizeof path, "%s/keys/signing.key", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char before[65];
    memcpy(before, ro.keys.pk_hex, 65);
    close_all();
    open_all();
    assert_string_equal(ro.keys.pk_hex, before);
}

/* The name of the profile rollout_pick_profile chooses (what registration stores). */
static int pick(json_t *facts, const char *hint, char name[64], char *err, size_t errlen)
{
    mote_profile p;
    if (rollout_pick_profile(facts, hint, &p, err, errlen) != 0) return -1;
    snprintf(name, 64, "%s", p.name);
    return 0;
}

static void test_pick_profile(void **state)
{
    (void)state;
    char name[64], err[512];
    json_t *f = m4f_facts(640, 2048);
    assert_int_equal(pick(f, "nucleo-l4r5zi", name, err, sizeof err), 0);
    assert_string_equal(name, "nucleo-l4r5zi");
    /* A hint of another core is ignored: the largest Cortex-M4F profile that fits wins. */
    assert_int_equal(pick(f, "rp2040", name, err, sizeof err), 0);
    assert_string_equal(name, "nucleo-l4r5zi");
    assert_int_equal(pick(f, "../../etc/passwd", name, err, sizeof err), 0);
    assert_string_equal(name, "nucleo-l4r5zi");
    json_decref(f);
    f = m4f_facts(300, 1024);
    assert_int_equal(pick(f, NULL, name, err, sizeof err), 0);
    assert_string_equal(name, "nrf52840");
    /* The hint wins when core and features match, even if another profile is larger. */
    assert_int_equal(pick(f, "nucleo-l4r5zi", name, err, sizeof err), 0);
    assert_string_equal(name, "nucleo-l4r5zi");
    json_decref(f);
    f = m4f_facts(100, 512);
    assert_int_equal(pick(f, NULL, name, err, sizeof err), 0);
    assert_string_equal(name, "facts-cortex-m4f-100k-512k");
    mote_profile p;
    assert_int_equal(rollout_profile_resolve(name, f, &p, err, sizeof err), 0);
    assert_int_equal(p.ram_kb, 100);
    assert_int_equal(p.flash_kb, 512);
    assert_int_equal(p.features, MOTE_FEAT_DSP | MOTE_FEAT_FPU);
    json_decref(f);
    f = json_pack("{s:s,s:i,s:i}", "core", "z80", "ram_kb", 64, "flash_kb", 64);
    assert_int_equal(pick(f, NULL, name, err, sizeof err), -1);
    assert_non_null(strstr(err, "facts.core"));
    json_decref(f);
    f = json_pack("{s:s,s:i}", "core", "cortex-m4f", "flash_kb", 64);
    assert_int_equal(pick(f, NULL, name, err, sizeof err), -1);
    assert_non_null(strstr(err, "facts.ram_kb"));
    json_decref(f);
}

/* Run every queued job. */
static void run_jobs(void)
{
    int rc;
    while ((rc = compile_run_next(&ro)) == 0) {
    }
    assert_int_equal(rc, 1);
}

static void test_compile(void **state)
{
    (void)state;
    mote_model_rec m;
    push_model(KWS, "kws", "1.0", &m);
    char err[1024];
    mote_profile p;
    assert_int_equal(rollout_profile_resolve("nucleo-l4r5zi", NULL, &p, err, sizeof err), 0);
    int64_t job, job2;
    assert_int_equal(compile_submit(&ro, &m, &p, "mote", &job, err, sizeof err), 0);
    mote_job_rec j;
    assert_int_equal(mote_store_job_get(srv.store, job, &j), 0);
    assert_string_equal(j.state, "queued");
    run_jobs();
    assert_int_equal(mote_store_job_get(srv.store, job, &j), 0);
    assert_string_equal(j.state, "done");
    assert_string_equal(j.error, "");

    /* The artifact: a .mote file the runtime loader accepts, a signed manifest naming it. */
    mote_artifact_rec a;
    assert_int_equal(mote_store_artifact_get(srv.store, j.artifact, "nucleo-l4r5zi", &a), 0);
    uint8_t *file;
    size_t len;
    assert_int_equal(mote_store_blob_get(srv.store, a.sha256, &file, &len), 0);
    assert_int_equal((int64_t)len, a.size);
    size_t need = 0;
    assert_int_equal(mote_file_arena_bytes(file, len, &need), MOTE_FILE_OK);
    uint8_t *aligned = aligned_alloc(16, (len + 15) / 16 * 16), *arena = aligned_alloc(16, (need + 15) / 16 * 16);
    memcpy(aligned, file, len);
    mote_model mm;
    int32_t bad = 0;
    assert_int_equal(mote_file_load(aligned, len, arena, need, &mm, &bad), MOTE_FILE_OK);
    free(aligned);
    free(arena);
    free(file);
    assert_non_null(strstr(a.manifest, "target=nucleo-l4r5zi\n"));
    assert_non_null(strstr(a.manifest, "model=kws\nversion=1.0\n"));
    uint8_t sig[64];
    assert_int_equal(sodium_hex2bin(sig, 64, a.signature, 128, NULL, NULL, NULL), 0);
    assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)a.manifest, strlen(a.manifest), ro.keys.pk), 0);
    /* The made-up self-test vector is the host runtime's output for the stored input. */
    uint8_t *in, *out;
    size_t nin, nout;
    assert_int_equal(mote_store_blob_get(srv.store, a.selftest_in, &in, &nin), 0);
    assert_int_equal(mote_store_blob_get(srv.store, a.selftest_out, &out, &nout), 0);
    assert_int_equal(nin, 490);
    assert_int_equal(nout, 12);
    free(in);
    free(out);

    /* Second request: the cache answers at once with the same artifact. */
    assert_int_equal(compile_submit(&ro, &m, &p, "mote", &job2, err, sizeof err), 0);
    assert_int_not_equal(job2, job);
    assert_int_equal(mote_store_job_get(srv.store, job2, &j), 0);
    assert_string_equal(j.state, "done");
    assert_string_equal(j.artifact, a.sha256);
    assert_int_equal(compile_run_next(&ro), 1);

    /* A device with 8 KB of RAM: refused, the reason names the arena. */
    json_t *f = m4f_facts(8, 2048);
    assert_int_equal(rollout_pick_profile(f, NULL, &p, err, sizeof err), 0);
    json_decref(f);
    assert_string_equal(p.name, "facts-cortex-m4f-8k-2048k");
    assert_int_equal(compile_submit(&ro, &m, &p, "mote", &job, err, sizeof err), 0);
    run_jobs();
    assert_int_equal(mote_store_job_get(srv.store, job, &j), 0);
    assert_string_equal(j.state, "failed");
    assert_int_equal(j.refused, 1);
    assert_non_null(strstr(j.error, "does not fit"));
    assert_non_null(strstr(j.error, "arena"));
    assert_string_equal(j.artifact, "");

    /* Format c: a ustar archive holding model.c. */
    assert_int_equal(rollout_profile_resolve("nucleo-l4r5zi", NULL, &p, err, sizeof err), 0);
    assert_int_equal(compile_submit(&ro, &m, &p, "c", &job, err, sizeof err), 0);
    run_jobs();
    assert_int_equal(mote_store_job_get(srv.store, job, &j), 0);
    assert_string_equal(j.state, "done");
    assert_int_equal(mote_store_blob_get(srv.store, j.artifact, &file, &len), 0);
    assert_true(len > 1024 && len % 512 == 0);
    assert_memory_equal(file + 257, "ustar", 6);
    int found = 0;
    for (size_t off = 0; off + 512 <= len && !found; off += 512) found = !strcmp((char *)file + off, "model.c");
    assert_true(found);
    free(file);
    json_t *doc = compile_job_json(&ro, &j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "artifact"), "format")), "c");
    assert_string_equal(json_string_value(json_object_get(doc, "model")), "kws");
    json_decref(doc);

    /* Version 2.0: the same bytes with a pushed self-test vector. One blob, its own signed manifest. */
    mote_model_rec m2;
    uint8_t zeros[490] = {0};
    memset(&m2, 0, sizeof m2);
    snprintf(m2.name, sizeof m2.name, "kws");
    snprintf(m2.version, sizeof m2.version, "2.0");
    memcpy(m2.sha256, m.sha256, sizeof m2.sha256);
    m2.size = m.size;
    m2.metadata = json_object();
    assert_int_equal(mote_store_blob_put(srv.store, zeros, 490, m2.selftest_in), 0);
    assert_int_equal(mote_store_blob_put(srv.store, zeros, 12, m2.selftest_out), 0);
    assert_int_equal(mote_store_model_add(srv.store, &m2), 0);
    assert_int_equal(compile_submit(&ro, &m2, &p, "mote", &job, err, sizeof err), 0);
    run_jobs();
    assert_int_equal(mote_store_job_get(srv.store, job, &j), 0);
    assert_string_equal(j.state, "done");
    assert_string_equal(j.artifact, a.sha256);
    doc = compile_job_json(&ro, &j);
    const char *man = json_string_value(json_object_get(json_object_get(doc, "artifact"), "manifest"));
    assert_non_null(man);
    assert_non_null(strstr(man, "version=2.0\n"));
    assert_non_null(strstr(man, m2.selftest_in));
    json_decref(doc);
    mote_model_free(&m2);
    mote_model_free(&m);
}

static const char *dep_state(int64_t id)
{
    static mote_deployment_rec d;
    assert_int_equal(mote_store_deployment_get(srv.store, id, &d), 0);
    return d.state;
}

static int64_t create(const mote_model_rec *m, const char *strategy, int pct, double rate)
{
    deploy_params p;
    memset(&p, 0, sizeof p);
    snprintf(p.group, sizeof p.group, "fleet");
    snprintf(p.strategy, sizeof p.strategy, "%s", strategy);
    p.canary_percent = pct;
    p.max_failure_rate = rate;
    int64_t id;
    char err[512];
    assert_int_equal(deploy_create(&ro, m, &p, &id, err, sizeof err), 0);
    assert_string_equal(dep_state(id), "compiling");
    run_jobs();
    assert_int_equal(deploy_tick(&ro), 0);
    return id;
}

/* Poll for a device: 1 and the artifact when something is offered. */
static int poll_dev(int i, mote_artifact_rec *a, int64_t *dep)
{
    char id[24];
    dev_id(i, id);
    int rc = deploy_offer(&ro, id, a, dep);
    assert_true(rc == 0 || rc == 1);
    return rc == 0;
}

static void report(int i, int64_t dep, const char *sha, const char *state)
{
    char id[24], err[512];
    dev_id(i, id);
    assert_int_equal(deploy_report(&ro, id, dep, sha, state, state[0] == 'f' ? "self-test mismatch" : "", NULL, err,
                                   sizeof err),
                     0);
}

static json_t *counts(int64_t id)
{
    int found;
    json_t *d = deploy_json(&ro, id, 1, &found);
    assert_true(found);
    json_t *c = json_incref(json_object_get(d, "counts"));
    json_decref(d);
    return c;
}

#define COUNT(c, k) json_integer_value(json_object_get((c), (k)))

static void test_canary_promote_complete(void **state)
{
    (void)state;
    mote_model_rec m;
    push_model(KWS, "kws", "1.0", &m);
    add_devices(20, "fleet");
    int64_t id = create(&m, "canary", 10, 0.2);
    assert_string_equal(dep_state(id), "canary");
    mote_artifact_rec a;
    int64_t dep;
    int offered[20], n_offered = 0;
    for (int i = 0; i < 20; i++) {
        offered[i] = poll_dev(i, &a, &dep);
        n_offered += offered[i];
        if (offered[i]) assert_int_equal(dep, id);
    }
    assert_int_equal(n_offered, 2); /* ceil(20 x 10%) */
    for (int i = 0; i < 20; i++)
        if (offered[i]) report(i, id, a.sha256, "confirmed");
    assert_string_equal(dep_state(id), "canary_done");
    char err[512];
    assert_int_equal(deploy_promote(&ro, id, err, sizeof err), 0);
    assert_string_equal(dep_state(id), "rolling_out");
    assert_int_equal(deploy_promote(&ro, id, err, sizeof err), 2);
    for (int i = 0; i < 20; i++) {
        int o = poll_dev(i, &a, &dep);
        assert_int_equal(o, !offered[i]);
        if (o) report(i, id, a.sha256, "confirmed");
    }
    assert_string_equal(dep_state(id), "complete");
    json_t *c = counts(id);
    assert_int_equal(COUNT(c, "confirmed"), 20);
    assert_int_equal(COUNT(c, "failed"), 0);
    json_decref(c);
    /* Nothing more to do; the device records show the artifact. */
    assert_int_equal(poll_dev(0, &a, &dep), 0);
    mote_device_rec d;
    memset(&d, 0, sizeof d);
    assert_int_equal(mote_store_device_get(srv.store, "d-0000000000001000", &d), 0);
    assert_string_equal(d.state, "running");
    assert_string_equal(d.model, "kws");
    mote_device_free(&d);
    mote_model_free(&m);
}

static void test_canary_failure_rolls_back(void **state)
{
    (void)state;
    mote_model_rec v1, v2;
    push_model(KWS, "kws", "1.0", &v1);
    push_model(HELLO, "hello", "2.0", &v2);
    /* Two profiles whose .mote files are the same bytes: each device must get its own target's manifest. */
    add_devices_alt(20, "fleet", "nrf52840");
    mote_artifact_rec a, a1;
    int64_t dep;
    int64_t d1 = create(&v1, "all", 10, 0.2);
    assert_string_equal(dep_state(d1), "rolling_out");
    char first[20][65];
    for (int i = 0; i < 20; i++) {
        assert_true(poll_dev(i, &a1, &dep));
        report(i, d1, a1.sha256, "confirmed");
        memcpy(first[i], a1.sha256, 65);
    }
    assert_string_equal(dep_state(d1), "complete");

    int64_t d2 = create(&v2, "canary", 10, 0.2);
    assert_string_equal(dep_state(d2), "canary");
    int canary[2], k = 0;
    for (int i = 0; i < 20; i++)
        if (poll_dev(i, &a, &dep)) {
            assert_int_equal(dep, d2);
            assert_true(k < 2);
            canary[k++] = i;
        }
    assert_int_equal(k, 2);
    assert_string_not_equal(a.sha256, first[canary[0]]);
    report(canary[0], d2, a.sha256, "confirmed");
    assert_string_equal(dep_state(d2), "canary");
    report(canary[1], d2, a.sha256, "failed");
    assert_string_equal(dep_state(d2), "rolled_back");
    mote_deployment_rec d;
    assert_int_equal(mote_store_deployment_get(srv.store, d2, &d), 0);
    assert_non_null(strstr(d.reason, "1 of 2"));
    char failed_id[24];
    mote_dd_rec row;
    dev_id(canary[1], failed_id);
    assert_int_equal(mote_store_dd_get(srv.store, d2, failed_id, &row), 0);
    assert_string_equal(row.state, "rolled_back");
    assert_non_null(strstr(row.reason, "self-test mismatch"));
    /* The confirmed canary device gets its previous artifact back; the failed one kept it. */
    mote_artifact_rec back;
    assert_true(poll_dev(canary[0], &back, &dep));
    assert_string_equal(back.sha256, first[canary[0]]);
    char want_target[80];
    snprintf(want_target, sizeof want_target, "target=%s\n", canary[0] % 2 ? "nrf52840" : "nucleo-l4r5zi");
    assert_non_null(strstr(back.manifest, want_target));
    assert_int_equal(dep, d2);
    report(canary[0], d2, back.sha256, "confirmed");
    assert_false(poll_dev(canary[0], &back, &dep));
    assert_false(poll_dev(canary[1], &back, &dep));
    for (int i = 0; i < 20; i++) assert_false(poll_dev(i, &back, &dep));
    json_t *c = counts(d2);
    assert_int_equal(COUNT(c, "rolled_back"), 20);
    json_decref(c);
    char err[512];
    assert_int_equal(deploy_rollback(&ro, d2, "again", err, sizeof err), 2);
    mote_model_free(&v1);
    mote_model_free(&v2);
}

/* Rollout failures past the rate once max(3, 10%) reported: rolled back. A newer deployment supersedes. */
static void test_rollout_failures_and_supersede(void **state)
{
    (void)state;
    mote_model_rec v1, v2;
    push_model(KWS, "kws", "1.0", &v1);
    push_model(HELLO, "hello", "2.0", &v2);
    add_devices(20, "fleet");
    mote_artifact_rec a;
    int64_t dep;
    int64_t d1 = create(&v1, "all", 10, 0.5);
    for (int i = 0; i < 2; i++) {
        assert_true(poll_dev(i, &a, &dep));
        report(i, d1, a.sha256, "failed");
    }
    assert_string_equal(dep_state(d1), "rolling_out"); /* 2 reports: fewer than 3 */
    assert_true(poll_dev(2, &a, &dep));
    report(2, d1, a.sha256, "failed");
    assert_string_equal(dep_state(d1), "rolled_back");
    mote_deployment_rec d;
    assert_int_equal(mote_store_deployment_get(srv.store, d1, &d), 0);
    assert_non_null(strstr(d.reason, "3 of 3"));

    /* Device 5 has v1 offered by a live deployment when v2's deployment arrives. */
    int64_t d3 = create(&v1, "all", 10, 0.5);
    assert_true(poll_dev(5, &a, &dep));
    assert_int_equal(dep, d3);
    int64_t d4 = create(&v2, "all", 10, 0.5);
    char id[24];
    dev_id(5, id);
    mote_dd_rec row;
    assert_int_equal(mote_store_dd_get(srv.store, d3, id, &row), 0);
    assert_string_equal(row.state, "superseded");
    mote_artifact_rec b;
    assert_true(poll_dev(5, &b, &dep));
    assert_int_equal(dep, d4);
    assert_string_not_equal(b.sha256, a.sha256);
    json_t *c = counts(d3);
    assert_int_equal(COUNT(c, "superseded"), 20);
    json_decref(c);
    mote_model_free(&v1);
    mote_model_free(&v2);
}

/* A device the model does not fit, and one of another runtime ABI: incompatible, not failures. */
static void test_incompatible_devices(void **state)
{
    (void)state;
    mote_model_rec m;
    push_model(KWS, "kws", "1.0", &m);
    add_devices(3, "fleet");
    const char *ids[2] = {"d-00000000000000aa", "d-00000000000000bb"};
    for (int i = 0; i < 2; i++) {
        mote_device_rec d;
        memset(&d, 0, sizeof d);
        snprintf(d.id, sizeof d.id, "%s", ids[i]);
        snprintf(d.name, sizeof d.name, "odd-%d", i);
        d.facts = m4f_facts(i == 0 ? 8 : 640, 2048);
        if (i == 1) json_object_set_new(d.facts, "runtime_abi", json_integer(MOTE_FILE_VERSION + 1));
        char err[512];
        mote_profile p;
        assert_int_equal(rollout_pick_profile(d.facts, i == 0 ? NULL : "nucleo-l4r5zi", &p, err, sizeof err), 0);
        snprintf(d.profile, sizeof d.profile, "%s", p.name);
        d.tags = json_pack("[s]", "fleet");
        char cred[65];
        snprintf(cred, sizeof cred, "%064x", (unsigned)(0x9000 + i));
        assert_int_equal(mote_store_device_add(srv.store, &d, cred), 0);
        json_decref(d.facts);
        json_decref(d.tags);
    }
    int64_t id = create(&m, "all", 10, 0.2);
    assert_string_equal(dep_state(id), "rolling_out");
    mote_dd_rec row;
    assert_int_equal(mote_store_dd_get(srv.store, id, ids[0], &row), 0);
    assert_string_equal(row.state, "incompatible");
    assert_non_null(strstr(row.reason, "does not fit"));
    assert_non_null(strstr(row.reason, "arena"));
    assert_int_equal(mote_store_dd_get(srv.store, id, ids[1], &row), 0);
    assert_string_equal(row.state, "incompatible");
    assert_non_null(strstr(row.reason, "runtime ABI"));
    mote_artifact_rec a;
    int64_t dep;
    assert_int_equal(deploy_offer(&ro, ids[0], &a, &dep), 1);
    for (int i = 0; i < 3; i++) {
        assert_true(poll_dev(i, &a, &dep));
        report(i, id, a.sha256, "confirmed");
    }
    assert_string_equal(dep_state(id), "complete");
    json_t *c = counts(id);
    assert_int_equal(COUNT(c, "incompatible"), 2);
    assert_int_equal(COUNT(c, "confirmed"), 3);
    json_decref(c);
    mote_model_free(&m);
}

/* Devices that register (or are tagged) after a deployment join it in the rollout phase: the compile of
 * their target is reused or queued, and a complete deployment completes again once they confirm. */
static void test_late_joiners(void **state)
{
    (void)state;
    mote_model_rec m;
    push_model(KWS, "kws", "1.0", &m);
    add_devices(2, "fleet");
    int64_t id = create(&m, "all", 10, 0.2);
    mote_artifact_rec a;
    int64_t dep;
    for (int i = 0; i < 2; i++) {
        assert_true(poll_dev(i, &a, &dep));
        report(i, id, a.sha256, "confirmed");
    }
    assert_string_equal(dep_state(id), "complete");
    char sha_m4[65], err[512], id2[24], id3[24];
    snprintf(sha_m4, sizeof sha_m4, "%s", a.sha256);

    /* same target: the compile is reused, the artifact offered at once */
    add_devices_from(2, 1, "fleet", NULL);
    dev_id(2, id2);
    assert_int_equal(deploy_join(&ro, id2, err, sizeof err), 0);
    assert_string_equal(dep_state(id), "rolling_out");
    mote_dd_rec row;
    assert_int_equal(mote_store_dd_get(srv.store, id, id2, &row), 0);
    assert_string_equal(row.phase, "rollout");
    assert_true(poll_dev(2, &a, &dep));
    assert_int_equal(dep, id);
    assert_string_equal(a.sha256, sha_m4);
    assert_int_equal(deploy_join(&ro, id2, err, sizeof err), 0); /* already in: nothing changes */
    report(2, id, a.sha256, "confirmed");
    assert_string_equal(dep_state(id), "complete");

    /* another target, tagged after registration: its compile is queued; nothing offered before it is done */
    add_devices_from(3, 1, "lab", "stm32u575"); /* odd index: the alt profile */
    dev_id(3, id3);
    assert_int_equal(deploy_join(&ro, id3, err, sizeof err), 0);
    assert_int_equal(mote_store_dd_get(srv.store, id, id3, &row), 1); /* not in the group yet */
    json_t *tags = json_pack("[s,s]", "lab", "fleet");
    assert_int_equal(mote_store_device_set_tags(srv.store, id3, tags), 0);
    json_decref(tags);
    assert_int_equal(deploy_join(&ro, id3, err, sizeof err), 0);
    assert_int_equal(mote_store_dd_get(srv.store, id, id3, &row), 0);
    assert_string_equal(row.target, "stm32u575");
    assert_string_equal(row.state, "pending");
    assert_int_equal(row.artifact[0], 0);
    assert_string_equal(dep_state(id), "rolling_out");
    assert_false(poll_dev(3, &a, &dep));
    run_jobs();
    assert_int_equal(deploy_tick(&ro), 0);
    assert_true(poll_dev(3, &a, &dep));
    assert_string_equal(a.target, "stm32u575");
    report(3, id, a.sha256, "confirmed");
    assert_string_equal(dep_state(id), "complete");
    json_t *c = counts(id);
    assert_int_equal(COUNT(c, "confirmed"), 4);
    json_decref(c);
    mote_model_free(&m);
}

static void test_restart_resumes(void **state)
{
    (void)state;
    mote_model_rec m;
    push_model(KWS, "kws", "1.0", &m);
    add_devices(20, "fleet");
    deploy_params p;
    memset(&p, 0, sizeof p);
    snprintf(p.group, sizeof p.group, "fleet");
    snprintf(p.strategy, sizeof p.strategy, "canary");
    p.canary_percent = 10;
    p.max_failure_rate = 0.2;
    int64_t id;
    char err[512];
    assert_int_equal(deploy_create(&ro, &m, &p, &id, err, sizeof err), 0);
    /* Killed while compiling: the job was taken ("running") but never finished. */
    mote_job_rec j;
    assert_int_equal(mote_store_job_claim(srv.store, &j), 0);
    close_all();

    /* Restart with the real threads: the job is queued again, compiled, and the ticker moves on. */
    srv.store = mote_store_open(dir, err, sizeof err);
    assert_non_null(srv.store);
    srv.rollout = moted_rollout_start(NULL, srv.store, dir, 1, err, sizeof err);
    assert_non_null(srv.rollout);
    for (int t = 0; t < 600 && strcmp(dep_state(id), "canary"); t++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_string_equal(dep_state(id), "canary");
    moted_rollout_stop(srv.rollout);
    srv.rollout = NULL;
    mote_store_close(srv.store);

    /* One canary confirms, restart, the other confirms: canary_done. */
    srv.store = mote_store_open(dir, err, sizeof err);
    assert_non_null(srv.store);
    assert_int_equal(rollout_init(&ro, NULL, srv.store, dir, err, sizeof err), 0);
    srv.rollout = &ro;
    mote_artifact_rec a;
    int64_t dep;
    int canary[2], k = 0;
    for (int i = 0; i < 20; i++)
        if (poll_dev(i, &a, &dep)) canary[k++] = i;
    assert_int_equal(k, 2);
    report(canary[0], id, a.sha256, "confirmed");
    close_all();
    open_all();
    assert_string_equal(dep_state(id), "canary");
    assert_true(poll_dev(canary[1], &a, &dep)); /* still offered after the restart */
    report(canary[1], id, a.sha256, "confirmed");
    assert_string_equal(dep_state(id), "canary_done");
    mote_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_manifest_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pick_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canary_promote_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canary_failure_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollout_failures_and_supersede, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incompatible_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_joiners, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_resumes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
