/* moted's store through its interface (store/store.h, no database type):
 * migrations on a fresh and a reopened data dir, models, devices, tokens,
 * blobs, datasets and AutoML jobs, baselines and alerts, transactions, several threads, on the default backend (SQLite). */
/* mkdtemp */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <pthread.h>
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

#include "store/store.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0) return -1;
    snprintf(dir, sizeof dir, "/tmp/test_store.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

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

static int teardown(void **state)
{
    (void)state;
    rm_rf(dir);
    return 0;
}

static mote_store *open_ok(void)
{
    char err[512] = "";
    mote_store *s = mote_store_open(dir, err, sizeof err);
    if (!s) fail_msg("open %s: %s", dir, err);
    return s;
}

static int schema_version(mote_store *s)
{
    int v = -1;
    assert_int_equal(mote_store_schema_version(s, &v), 0);
    return v;
}

/* Set the schema version of the closed database DIR/moted.db: the SQLite
 * backend keeps it in the file's header (PRAGMA user_version, bytes 60-63,
 * big-endian), which a closed database has written back whole. */
static void set_schema_version(int v)
{
    char path[128];
    snprintf(path, sizeof path, "%s/moted.db", dir);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    unsigned char be[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                           (unsigned char)v};
    assert_int_equal(fseek(f, 60, SEEK_SET), 0);
    assert_int_equal(fwrite(be, 1, 4, f), 4);
    assert_int_equal(fclose(f), 0);
}

static void test_migrations(void **state)
{
    (void)state;
    mote_store *s = open_ok();
    assert_int_equal(schema_version(s), 5); /* core, rollout, datasets and AutoML jobs, monitoring, samples */
    assert_int_equal(mote_store_ping(s), 0);
    json_t *models = mote_store_model_list(s);
    assert_int_equal(json_array_size(models), 0);
    json_decref(models);
    int64_t n = -1;
    assert_int_equal(mote_store_device_count(s, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(mote_store_token_add(s, "ci", "admin", "aa"), 0);
    /* WAL mode is a property of the file: the write-ahead log is there while the store is open. */
    char path[128];
    struct stat sb;
    snprintf(path, sizeof path, "%s/moted.db-wal", dir);
    assert_int_equal(stat(path, &sb), 0);
    mote_store_close(s);

    /* Reopen: nothing re-applied, data kept. */
    s = open_ok();
    assert_int_equal(schema_version(s), 5);
    char role[16];
    assert_int_equal(mote_store_token_role(s, "aa", role, sizeof role), 0);
    assert_string_equal(role, "admin");
    assert_int_equal(mote_store_token_role(s, "bb", role, sizeof role), 1);
    mote_store_close(s);

    /* A database from a newer moted is refused with a message. */
    char err[512] = "";
    set_schema_version(99);
    assert_null(mote_store_open(dir, err, sizeof err));
    assert_non_null(strstr(err, "schema version 99"));

    /* The backend is chosen at open: an unknown one is refused, naming it. */
    assert_null(mote_store_open_backend("postgres", dir, err, sizeof err));
    assert_non_null(strstr(err, "postgres"));
}

static void test_blobs(void **state)
{
    (void)state;
    mote_store *s = open_ok();
    char hex[65], hex2[65], path[512];
    assert_int_equal(mote_store_blob_put(s, "abc", 3, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(mote_store_blob_put(s, "abc", 3, hex2), 0); /* idempotent */
    assert_string_equal(hex, hex2);
    assert_int_equal(mote_store_blob_path(s, hex, path, sizeof path), 0);
    char want[512];
    snprintf(want, sizeof want, "%s/blobs/ba/%s", dir, hex);
    assert_string_equal(path, want);
    uint8_t *data;
    size_t len;
    assert_int_equal(mote_store_blob_get(s, hex, &data, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(data, "abc", 3);
    free(data);
    /* No temp files are left in the blob's directory. */
    snprintf(want, sizeof want, "%s/blobs/ba", dir);
    DIR *d = opendir(want);
    assert_non_null(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' || strncmp(e->d_name, ".tmp", 4) == 0) files++;
    closedir(d);
    assert_int_equal(files, 1);
    /* Empty blob, unknown blob, bad name. */
    assert_int_equal(mote_store_blob_put(s, "", 0, hex), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(mote_store_blob_get(s, "0000000000000000000000000000000000000000000000000000000000000000", &data,
                                         &len),
                     1);
    assert_int_equal(mote_store_blob_path(s, "../../etc/passwd", path, sizeof path), -1);
    assert_non_null(strstr(mote_store_error(s), "not a sha256"));
    mote_store_close(s);
}

static void test_models(void **state)
{
    (void)state;
    mote_store *s = open_ok();
    mote_model_rec m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "kws");
    snprintf(m.version, sizeof m.version, "1.0");
    memset(m.sha256, 'a', 64);
    m.size = 1234;
    memset(m.selftest_in, 'b', 64);
    memset(m.selftest_out, 'c', 64);
    m.metadata = json_pack("{s:s}", "owner", "audio");
    assert_int_equal(mote_store_model_add(s, &m), 0);
    assert_true(m.id > 0);
    int64_t id = m.id;

    mote_model_rec g;
    assert_int_equal(mote_store_model_get(s, "kws", "1.0", &g), 0);
    assert_int_equal(g.id, id);
    assert_string_equal(g.sha256, m.sha256);
    assert_int_equal(g.size, 1234);
    assert_string_equal(g.selftest_in, m.selftest_in);
    assert_string_equal(g.selftest_out, m.selftest_out);
    assert_string_equal(json_string_value(json_object_get(g.metadata, "owner")), "audio");
    assert_int_equal(strlen(g.created), 20);
    mote_model_free(&g);
    assert_int_equal(mote_store_model_get_id(s, id, &g), 0);
    assert_string_equal(g.version, "1.0");
    mote_model_free(&g);
    assert_int_equal(mote_store_model_get(s, "kws", "2.0", &g), 1);
    assert_int_equal(mote_store_model_get_id(s, id + 100, &g), 1);

    /* Same name+version again: 1, the existing row reported, nothing changed. */
    mote_model_rec dup = m;
    dup.metadata = NULL;
    memset(dup.sha256, 'f', 64);
    dup.size = 1;
    assert_int_equal(mote_store_model_add(s, &dup), 1);
    assert_int_equal(dup.id, id);
    assert_string_equal(dup.sha256, m.sha256);
    assert_int_equal(dup.size, 1234);

    snprintf(m.version, sizeof m.version, "2.0");
    mote_model_rec m2 = m;
    m2.metadata = NULL; /* stored as {} */
    memset(m2.selftest_in, 0, sizeof m2.selftest_in);
    assert_int_equal(mote_store_model_add(s, &m2), 0);
    snprintf(m2.name, sizeof m2.name, "ad");
    assert_int_equal(mote_store_model_add(s, &m2), 0);
    json_t *l = mote_store_model_list(s);
    assert_int_equal(json_array_size(l), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "name")), "ad");
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 1), "version")), "1.0");
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 2), "version")), "2.0");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 2), "size")), 1234);
    json_decref(l);
    assert_int_equal(mote_store_model_get(s, "kws", "2.0", &g), 0);
    assert_string_equal(g.selftest_in, "");
    assert_int_equal(json_object_size(g.metadata), 0);
    mote_model_free(&g);
    mote_model_free(&m);

    /* A rolled-back transaction leaves nothing; nested ones commit at the outermost. */
    mote_model_rec t;
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "tx");
    snprintf(t.version, sizeof t.version, "1");
    memset(t.sha256, 'd', 64);
    assert_int_equal(mote_store_begin(s), 0);
    assert_int_equal(mote_store_model_add(s, &t), 0);
    mote_store_rollback(s);
    assert_int_equal(mote_store_model_get(s, "tx", "1", &g), 1);
    assert_int_equal(mote_store_begin(s), 0);
    assert_int_equal(mote_store_begin(s), 0);
    assert_int_equal(mote_store_model_add(s, &t), 0);
    assert_int_equal(mote_store_commit(s), 0);
    assert_int_equal(mote_store_commit(s), 0);
    assert_int_equal(mote_store_commit(s), -1); /* nothing left to commit */
    mote_store_close(s);
    s = open_ok();
    assert_int_equal(mote_store_model_get(s, "tx", "1", &g), 0);
    mote_model_free(&g);
    mote_store_close(s);
}

static void add_device(mote_store *s, const char *id, const char *name, json_t *tags, const char *hash)
{
    mote_device_rec d;
    memset(&d, 0, sizeof d);
    snprintf(d.id, sizeof d.id, "%s", id);
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.profile, sizeof d.profile, "nucleo-l4r5zi");
    d.facts = json_pack("{s:s, s:i}", "core", "cortex-m4f", "ram_kb", 640);
    d.tags = tags;
    assert_int_equal(mote_store_device_add(s, &d, hash), 0);
    json_decref(d.facts);
    json_decref(tags);
}

static void test_devices(void **state)
{
    (void)state;
    mote_store *s = open_ok();
    add_device(s, "d-0000000000000003", "sim-3", json_pack("[s,s]", "fleet", "eu"), "h3");
    add_device(s, "d-0000000000000001", "sim-1", json_pack("[s]", "fleet"), "h1");
    add_device(s, "d-0000000000000002", "sim-2", json_array(), "h2");
    int64_t n = 0;
    assert_int_equal(mote_store_device_count(s, &n), 0);
    assert_int_equal(n, 3);

    char id[24];
    assert_int_equal(mote_store_device_auth(s, "h1", id, NULL), 0);
    assert_string_equal(id, "d-0000000000000001");
    assert_int_equal(mote_store_device_auth(s, "nope", id, NULL), 1);

    json_t *all = mote_store_device_list(s, NULL), *fleet = mote_store_device_list(s, "fleet"),
           *none = mote_store_device_list(s, "lab");
    assert_int_equal(json_array_size(all), 3);
    assert_int_equal(json_array_size(fleet), 2);
    assert_int_equal(json_array_size(none), 0);
    /* Registration order; the document has the fields of docs/service.md. */
    json_t *d0 = json_array_get(fleet, 0);
    assert_string_equal(json_string_value(json_object_get(d0, "id")), "d-0000000000000003");
    assert_string_equal(json_string_value(json_object_get(d0, "state")), "registered");
    assert_string_equal(json_string_value(json_array_get(json_object_get(d0, "tags"), 1)), "eu");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d0, "facts"), "ram_kb")), 640);
    const char *fields[] = {"id", "name", "profile", "tags", "facts", "created", "last_seen", "state", "artifact",
                            "target", "model", "version", "selftest_output_b64", "telemetry"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) assert_non_null(json_object_get(d0, fields[i]));
    json_decref(all);
    json_decref(fleet);
    json_decref(none);

    char(*ids)[24];
    size_t nids;
    assert_int_equal(mote_store_device_ids_by_tag(s, "fleet", &ids, &nids), 0);
    assert_int_equal(nids, 2);
    assert_string_equal(ids[0], "d-0000000000000001"); /* sorted */
    assert_string_equal(ids[1], "d-0000000000000003");
    free(ids);

    json_t *tags = json_pack("[s,s]", "lab", "fleet");
    assert_int_equal(mote_store_device_set_tags(s, "d-0000000000000002", tags), 0);
    assert_int_equal(mote_store_device_set_tags(s, "d-ffffffffffffffff", tags), 1);
    json_decref(tags);
    assert_int_equal(mote_store_device_ids_by_tag(s, "fleet", &ids, &nids), 0);
    assert_int_equal(nids, 3);
    free(ids);

    char sha[65];
    memset(sha, 'e', 64);
    sha[64] = 0;
    assert_int_equal(mote_store_device_report(s, "d-0000000000000002", "running", sha, "AAEC"), 0);
    assert_int_equal(mote_store_device_report(s, "d-0000000000000002", "failed", NULL, NULL), 0);
    assert_int_equal(mote_store_device_running(s, "d-0000000000000002", "nucleo-l4r5zi", "kws", "1.0"), 0);
    json_t *tel = json_pack("{s:i, s:f, s:f, s:[i,i]}", "inferences", 10, "latency_us_mean", 1.5, "latency_us_max",
                            3.0, "histogram", 4, 6);
    assert_int_equal(mote_store_device_telemetry(s, "d-0000000000000002", tel), 0);
    json_decref(tel);
    assert_int_equal(mote_store_device_seen(s, "d-0000000000000002", NULL), 0);

    mote_device_rec d;
    assert_int_equal(mote_store_device_get(s, "d-0000000000000002", &d), 0);
    assert_string_equal(d.state, "failed");
    assert_string_equal(d.artifact, sha); /* NULL kept it */
    assert_string_equal(d.selftest_output_b64, "AAEC");
    assert_string_equal(d.model, "kws");
    assert_int_equal(json_integer_value(json_object_get(d.telemetry, "inferences")), 10);
    assert_int_equal(json_array_size(d.tags), 2);
    mote_device_free(&d);
    assert_int_equal(mote_store_device_get(s, "d-ffffffffffffffff", &d), 1);

    /* last_seen: auth returns the stored value; seen writes only when that is not this second.
     * Wait for the clock to pass the second the device was last seen in. */
    char seen[32], now[32];
    assert_int_equal(mote_store_device_auth(s, "h2", id, seen), 0);
    assert_int_equal(mote_store_device_get(s, "d-0000000000000002", &d), 0);
    assert_string_equal(seen, d.last_seen);
    mote_device_free(&d);
    for (mote_store_now(now); !strcmp(now, seen); mote_store_now(now)) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(mote_store_device_seen(s, "d-0000000000000002", now), 0); /* caller says: current */
    assert_int_equal(mote_store_device_get(s, "d-0000000000000002", &d), 0);
    assert_string_equal(d.last_seen, seen);
    mote_device_free(&d);
    assert_int_equal(mote_store_device_seen(s, "d-0000000000000002", seen), 0);
    assert_int_equal(mote_store_device_get(s, "d-0000000000000002", &d), 0);
    assert_string_not_equal(d.last_seen, seen);
    mote_device_free(&d);

    int rc;
    json_t *doc = mote_store_device_doc(s, "d-0000000000000002", &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(json_string_value(json_object_get(doc, "version")), "1.0");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(json_object_get(doc, "telemetry"), "histogram"), 1)), 6);
    json_decref(doc);
    assert_null(mote_store_device_doc(s, "d-x", &rc));
    assert_int_equal(rc, 1);

    /* A credential is unique. */
    mote_device_rec dup;
    memset(&dup, 0, sizeof dup);
    snprintf(dup.id, sizeof dup.id, "d-0000000000000009");
    assert_int_equal(mote_store_device_add(s, &dup, "h1"), -1);
    assert_non_null(strstr(mote_store_error(s), "UNIQUE"));
    assert_int_equal(mote_store_device_count(s, &n), 0);
    assert_int_equal(n, 3);
    mote_store_close(s);
}

/* Several threads write at once: each has its own connection, WAL and the
 * busy timeout serialize the writers, nothing is lost. */
typedef struct {
    mote_store *s;
    int t;
    int failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    for (int i = 0; i < 25; i++) {
        mote_device_rec d;
        memset(&d, 0, sizeof d);
        snprintf(d.id, sizeof d.id, "d-%02d%014d", a->t, i);
        snprintf(d.name, sizeof d.name, "t%d-%d", a->t, i);
        d.tags = json_pack("[s]", "load");
        char hash[32];
        snprintf(hash, sizeof hash, "cred-%d-%d", a->t, i);
        if (mote_store_device_add(a->s, &d, hash) != 0) a->failures++;
        json_decref(d.tags);
        char id[24];
        if (mote_store_device_auth(a->s, hash, id, NULL) != 0 || strcmp(id, d.id) != 0) a->failures++;
    }
    return NULL;
}

/* Datasets: versions never change; AutoML jobs: the queue, progress only while running, one final state,
 * and a restart putting running jobs back in the queue. */
static void test_automl(void **state)
{
    (void)state;
    mote_store *s = open_ok();
    mote_dataset_rec d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "digits");
    snprintf(d.version, sizeof d.version, "v1");
    memset(d.sha256, 'a', 64);
    d.size = 10240, d.files = 3, d.bytes = 700;
    assert_int_equal(mote_store_dataset_add(s, &d), 0);
    mote_dataset_rec again = d;
    memset(again.sha256, 'b', 64);
    assert_int_equal(mote_store_dataset_add(s, &again), 1); /* exists: the stored row comes back */
    assert_memory_equal(again.sha256, d.sha256, 64);
    snprintf(d.version, sizeof d.version, "v2");
    snprintf(d.parent, sizeof d.parent, "digits/v1");
    assert_int_equal(mote_store_dataset_add(s, &d), 0);
    mote_dataset_rec got;
    assert_int_equal(mote_store_dataset_get(s, "digits", "v2", &got), 0);
    assert_string_equal(got.parent, "digits/v1");
    assert_int_equal(got.files, 3);
    mote_dataset_free(&got);
    assert_int_equal(mote_store_dataset_get(s, "digits", "v3", &got), 1);
    json_t *list = mote_store_dataset_list(s);
    assert_int_equal(json_array_size(list), 2);
    json_decref(list);

    mote_automl_rec j[2];
    for (int i = 0; i < 2; i++) {
        memset(&j[i], 0, sizeof j[i]);
        snprintf(j[i].dataset, sizeof j[i].dataset, "digits");
        snprintf(j[i].dataset_version, sizeof j[i].dataset_version, "v1");
        snprintf(j[i].model, sizeof j[i].model, "digits-automl");
        j[i].spec = json_pack("{s:s, s:i}", "task", "audio", "seed", i);
        assert_int_equal(mote_store_automl_add(s, &j[i]), 0);
        assert_string_equal(j[i].state, "queued");
    }
    mote_automl_rec c;
    assert_int_equal(mote_store_automl_progress(s, j[0].id, "not yet"), 0); /* queued: nothing recorded */
    assert_int_equal(mote_store_automl_claim(s, &c), 0);
    assert_int_equal(c.id, j[0].id); /* the oldest first */
    assert_string_equal(c.state, "running");
    assert_int_equal(json_integer_value(json_object_get(c.spec, "seed")), 0);
    assert_string_equal(c.progress, "");
    mote_automl_free(&c);
    assert_int_equal(mote_store_automl_progress(s, j[0].id, "bracket 1 done"), 0);
    mote_store_close(s);

    s = open_ok(); /* a restart: the running job is queued again, its progress kept */
    assert_int_equal(mote_store_automl_requeue_running(s), 0);
    assert_int_equal(mote_store_automl_get(s, j[0].id, &c), 0);
    assert_string_equal(c.state, "queued");
    assert_string_equal(c.progress, "bracket 1 done");
    mote_automl_free(&c);
    assert_int_equal(mote_store_automl_claim(s, &c), 0);
    mote_automl_free(&c);
    json_t *res = json_pack("{s:s}", "model", "digits-automl/automl-1");
    assert_int_equal(mote_store_automl_finish(s, j[0].id, "done", NULL, res), 0);
    assert_int_equal(mote_store_automl_finish(s, j[0].id, "cancelled", "late", NULL), 1); /* final stays final */
    json_decref(res);
    assert_int_equal(mote_store_automl_finish(s, j[1].id, "cancelled", "by a test", NULL), 0); /* queued */
    assert_int_equal(mote_store_automl_claim(s, &c), 1); /* nothing queued */
    assert_int_equal(mote_store_automl_get(s, j[0].id, &c), 0);
    assert_string_equal(c.state, "done");
    assert_string_equal(json_string_value(json_object_get(c.result, "model")), "digits-automl/automl-1");
    mote_automl_free(&c);
    list = mote_store_automl_list(s);
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "state")), "cancelled");
    json_decref(list);
    for (int i = 0; i < 2; i++) mote_automl_free(&j[i]);
    mote_store_close(s);
}

/* Monitoring: a baseline per model version; alerts open firing, keep their latest value, resolve once. */
static void test_monitor(void **state)
{
    (void)state;
    mote_store *s = open_ok();
    mote_model_rec m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "kws");
    snprintf(m.version, sizeof m.version, "1");
    memset(m.sha256, 'c', 64);
    assert_int_equal(mote_store_model_add(s, &m), 0);
    json_t *b = NULL;
    assert_int_equal(mote_store_baseline_get(s, m.id, &b), 1);
    json_t *stats = json_pack("{s:i, s:[i,i]}", "n", 2, "classes", 1, 1);
    assert_int_equal(mote_store_baseline_set(s, m.id, stats), 0);
    assert_int_equal(mote_store_baseline_get(s, m.id, &b), 0);
    assert_true(json_equal(b, stats));
    json_decref(b);
    json_decref(stats);

    mote_alert_rec a;
    memset(&a, 0, sizeof a);
    a.model_id = m.id;
    snprintf(a.group, sizeof a.group, "b");
    snprintf(a.signal, sizeof a.signal, "class_psi");
    a.value = 0.9, a.threshold = 0.25;
    assert_int_equal(mote_store_alert_open(s, &a), 0);
    assert_string_equal(a.state, "firing");
    assert_int_equal(mote_store_alert_update(s, a.id, 1.5, 0), 0);
    mote_alert_rec *f = NULL;
    size_t n = 0;
    assert_int_equal(mote_store_alert_firing(s, &f, &n), 0);
    assert_int_equal(n, 1);
    assert_true(f[0].value == 1.5 && !strcmp(f[0].group, "b") && f[0].resolved[0] == 0);
    free(f);
    assert_int_equal(mote_store_alert_update(s, a.id, 0.05, 1), 0);
    assert_int_equal(mote_store_alert_firing(s, &f, &n), 0);
    assert_int_equal(n, 0);
    free(f);
    json_t *list = mote_store_alert_list(s, "resolved");
    assert_int_equal(json_array_size(list), 1);
    json_t *doc = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(doc, "model")), "kws");
    assert_true(json_is_string(json_object_get(doc, "resolved")));
    json_decref(list);
    list = mote_store_alert_list(s, "firing");
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);

    /* sampling policies and samples */
    json_t *pol = NULL;
    assert_int_equal(mote_store_sampling_get(s, "b", &pol), 1);
    pol = json_pack("{s:f, s:i}", "max_confidence", 0.6, "max_per_hour", 60);
    assert_int_equal(mote_store_sampling_set(s, "b", pol), 0);
    json_decref(pol);
    assert_int_equal(mote_store_sampling_get(s, "b", &pol), 0);
    assert_int_equal(json_integer_value(json_object_get(pol, "max_per_hour")), 60);
    json_decref(pol);
    assert_int_equal(mote_store_sampling_set(s, "b", NULL), 0);
    assert_int_equal(mote_store_sampling_get(s, "b", &pol), 1);
    mote_sample_rec r[2];
    for (int i = 0; i < 2; i++) {
        memset(&r[i], 0, sizeof r[i]);
        snprintf(r[i].device, sizeof r[i].device, "d-%016d", i);
        r[i].model_id = m.id, r[i].cls = 3, r[i].confidence = 0.4, r[i].size = 490;
        memset(r[i].sha256, 'd' + i, 64);
        assert_int_equal(mote_store_sample_add(s, &r[i]), 0);
    }
    assert_int_equal(mote_store_sample_label(s, r[1].id, 7), 0);
    assert_int_equal(mote_store_sample_label(s, 999, 7), 1);
    list = mote_store_sample_list(s, m.id, 1, 0, 100);
    assert_int_equal(json_array_size(list), 1); /* the unlabelled one */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "id")), r[0].id);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "model")), "kws");
    json_decref(list);
    list = mote_store_sample_list(s, 0, 0, r[0].id, 100); /* after the first */
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    mote_sample_rec *lab = NULL;
    size_t nl = 0;
    assert_int_equal(mote_store_sample_labelled(s, m.id, &lab, &nl), 0);
    assert_int_equal(nl, 1);
    assert_int_equal(lab[0].label, 7);
    assert_true(lab[0].labelled[0] != 0);
    free(lab);
    mote_model_free(&m);
    mote_store_close(s);
}

static void test_threads(void **state)
{
    (void)state;
    mote_store *s = open_ok();
    pthread_t th[4];
    worker_arg args[4];
    for (int t = 0; t < 4; t++) {
        args[t] = (worker_arg){s, t, 0};
        assert_int_equal(pthread_create(&th[t], NULL, worker, &args[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(args[t].failures, 0);
    }
    char(*ids)[24];
    size_t n;
    assert_int_equal(mote_store_device_ids_by_tag(s, "load", &ids, &n), 0);
    assert_int_equal(n, 100);
    free(ids);
    mote_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_automl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
