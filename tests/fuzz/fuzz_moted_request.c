/* libFuzzer target: moted's request handling without sockets (moted_http_dispatch:
 * routing, bearer-token roles, body limit, every handler) on a real store in
 * a temp data dir.
 *
 * Setup, once: a server on that dir, a device registered with the enrollment
 * token and tagged "fleet", the hello_world model pushed as hello/1.0, and a
 * deployment of it to "fleet" (the compile worker builds the artifact in the
 * background, so update polls soon get a signed offer).
 *
 * One input is one request, text up to the first four lines:
 *   METHOD\n PATH[?k=v&...]\n AUTHORIZATION\n RANGE\n BODY...
 * An empty AUTHORIZATION or RANGE line means no such header. Placeholders in
 * every part are replaced before the request is made, so seeds stay valid
 * whatever ids and hashes this run got:
 *   @ADMIN@ @ENROLL@ @DEVICE@  "Bearer " + that token (or the bare token in a body)
 *   @DEV@ the device id, @DEP@ the deployment id, @MSHA@ the model's sha256,
 *   @ART@ the deployment's artifact sha256 (64 zeros until compiled),
 *   @TFLITE@ base64 of the hello_world model.
 * The answer must carry a status the contract allows; a 5xx is a finding
 * (the store is healthy, so no 500 is a storage failure here), and JSON
 * bodies must parse, errors as {"error": "..."}. A violation traps. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "moted_ctx.h"

#define HELLO MOTE_SHARED_DIR "/models/tflm/hello_world_int8.tflite"
#define MAX_FIELD 4096
#define MAX_SUBST (1u << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
    char dir[256];
    moted *m;
    char admin[80], enroll[80], device[80]; /* "Bearer " + token */
    char dev_id[32], dep_id[24], model_sha[65], art_sha[65];
    char *tflite_b64;
    int verbose; /* MOTE_FUZZ_VERBOSE set: each request's answer on stderr (to check what a seed reaches) */
} g;

static void die(const char *what, const char *why)
{
    fprintf(stderr, "fuzz_moted_request: %s: %s\n", what, why);
    exit(1);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    moted_stop(g.m);
    g.m = NULL;
    if (g.dir[0]) nftw(g.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(g.tflite_b64);
}

static void read_token(const char *name, char *out, size_t cap)
{
    char path[512], tok[128] = "";
    snprintf(path, sizeof path, "%s/%s", g.dir, name);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(tok, sizeof tok, f)) die(path, "cannot read the token");
    fclose(f);
    tok[strcspn(tok, "\n")] = 0;
    snprintf(out, cap, "Bearer %s", tok);
}

/* A setup request that must succeed; returns its JSON body (owned). */
static json_t *setup_req(const char *method, const char *url, const char *auth, const char *body, int want)
{
    moted_resp r;
    moted_resp_init(&r);
    moted_http_dispatch(moted_http_of(g.m), method, url, auth, (const uint8_t *)body, body ? strlen(body) : 0, NULL,
                        NULL, &r);
    json_t *j = r.body ? json_loadb((const char *)r.body, r.len, 0, NULL) : NULL;
    if (r.status != want) {
        fprintf(stderr, "%s %s: %d %.*s\n", method, url, r.status, (int)r.len, r.body ? (const char *)r.body : "");
        die(url, "unexpected status during setup");
    }
    moted_resp_release(&r);
    return j;
}

static char *b64_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) die(path, "cannot open");
    uint8_t *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    if (!n) die(path, "cannot read");
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(cap);
    if (!s) die(path, "out of memory");
    sodium_bin2base64(s, cap, buf, n, sodium_base64_VARIANT_ORIGINAL);
    free(buf);
    return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(g.dir, sizeof g.dir, "%s/mote-fuzz-moted-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g.dir)) die(g.dir, "cannot create");
    atexit(cleanup);
    g.verbose = getenv("MOTE_FUZZ_VERBOSE") != NULL;
    char err[512];
    moted_config cfg = {.data_dir = g.dir, .bind = "127.0.0.1", .port = 0, .threads = 1, .workers = 1};
    g.m = moted_start(&cfg, err, sizeof err);
    if (!g.m) die("moted_start", err);
    read_token("admin.token", g.admin, sizeof g.admin);
    read_token("enroll.token", g.enroll, sizeof g.enroll);

    json_t *j = setup_req("POST", "/v1/devices", g.enroll,
                          "{\"name\":\"fuzz-0\",\"profile\":\"nucleo-l4r5zi\",\"tags\":[\"fleet\"],\"facts\":"
                          "{\"core\":\"cortex-m4f\",\"clock_mhz\":120,\"ram_kb\":640,\"flash_kb\":2048,"
                          "\"features\":[\"dsp\",\"fpu\"],\"runtime_abi\":1,\"formats\":[\"mote\"]}}",
                          201);
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *cred = json_string_value(json_object_get(j, "credential"));
    if (!id || !cred) die("POST /v1/devices", "no id or credential");
    snprintf(g.dev_id, sizeof g.dev_id, "%s", id);
    snprintf(g.device, sizeof g.device, "Bearer %s", cred);
    json_decref(j);

    g.tflite_b64 = b64_file(HELLO);
    size_t blen = strlen(g.tflite_b64) + 128;
    char *body = malloc(blen);
    if (!body) die("setup", "out of memory");
    snprintf(body, blen, "{\"name\":\"hello\",\"version\":\"1.0\",\"tflite_b64\":\"%s\"}", g.tflite_b64);
    j = setup_req("POST", "/v1/models", g.admin, body, 201);
    free(body);
    snprintf(g.model_sha, sizeof g.model_sha, "%s", json_string_value(json_object_get(j, "sha256")));
    json_decref(j);

    j = setup_req("POST", "/v1/deployments", g.admin, "{\"model\":\"hello\",\"version\":\"1.0\",\"group\":\"fleet\"}",
                  201);
    snprintf(g.dep_id, sizeof g.dep_id, "%lld", (long long)json_integer_value(json_object_get(j, "id")));
    json_decref(j);
    memset(g.art_sha, '0', 64);
    /* The compile runs in the background: give it a moment so the first inputs already see an offer. */
    for (int i = 0; i < 100; i++) {
        char url[64];
        snprintf(url, sizeof url, "/v1/deployments/%s", g.dep_id);
        j = setup_req("GET", url, g.admin, NULL, 200);
        json_t *row = json_array_get(json_object_get(j, "devices"), 0);
        const char *a = json_string_value(json_object_get(row, "artifact"));
        int done = a && strlen(a) == 64;
        if (done) snprintf(g.art_sha, sizeof g.art_sha, "%s", a);
        json_decref(j);
        if (done) break;
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    return 0;
}

/* Copy src (n bytes) into a new NUL-terminated string with the placeholders
 * replaced; bare = 1 drops "Bearer " from token placeholders (bodies). */
static char *subst(const uint8_t *src, size_t n, int bare, size_t *out_len)
{
    const struct {
        const char *key, *val;
        int token;
    } tab[] = {{"@ADMIN@", g.admin, 1},   {"@ENROLL@", g.enroll, 1},    {"@DEVICE@", g.device, 1},
               {"@DEV@", g.dev_id, 0},    {"@DEP@", g.dep_id, 0},       {"@MSHA@", g.model_sha, 0},
               {"@ART@", g.art_sha, 0},   {"@TFLITE@", g.tflite_b64, 0}};
    size_t cap = n + 1, len = 0;
    char *o = malloc(cap);
    if (!o) return NULL;
    for (size_t i = 0; i < n;) {
        const char *val = NULL;
        size_t klen = 0;
        if (src[i] == '@')
            for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++) {
                klen = strlen(tab[k].key);
                if (n - i >= klen && !memcmp(src + i, tab[k].key, klen)) {
                    val = tab[k].token && bare ? tab[k].val + 7 : tab[k].val;
                    break;
                }
            }
        size_t vlen = val ? strlen(val) : 1;
        if (len + vlen + 1 > cap) {
            size_t nc = (len + vlen + 1) * 2;
            char *gr = nc <= MAX_SUBST ? realloc(o, nc) : NULL;
            if (!gr) {
                free(o);
                return NULL;
            }
            o = gr;
            cap = nc;
        }
        if (val) {
            memcpy(o + len, val, vlen);
            i += klen;
        } else {
            o[len] = (char)src[i++];
        }
        len += vlen;
    }
    o[len] = 0;
    if (out_len) *out_len = len;
    return o;
}

/* Next '\n'-terminated line of the input as a new string (placeholders
 * replaced); NULL at the end of the input. */
static char *next_line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = *p, *nl = s;
    while (nl < end && *nl != '\n') nl++;
    if (nl >= end || nl - s > MAX_FIELD) return NULL;
    *p = nl + 1;
    /* MHD hands handlers C strings: a NUL ends the field there. */
    size_t n = (size_t)(nl - s), z = 0;
    while (z < n && s[z]) z++;
    return subst(s, z, 0, NULL);
}

/* "a=b&c" -> {"a","b","c",""} in kv (NULL-terminated), pointing into q (split in place). */
static void split_query(char *q, const char **kv, size_t max_pairs)
{
    size_t n = 0;
    while (q && *q && n < max_pairs) {
        char *amp = strchr(q, '&');
        if (amp) *amp = 0;
        char *eq = strchr(q, '=');
        if (eq) *eq = 0;
        kv[2 * n] = q;
        kv[2 * n + 1] = eq ? eq + 1 : "";
        n++;
        q = amp ? amp + 1 : NULL;
    }
    kv[2 * n] = NULL;
}

static int allowed(int status)
{
    static const int ok[] = {200, 201, 202, 204, 206, 400, 401, 403, 404, 405, 409, 413, 416, 422};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (status == ok[i]) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *method = next_line(&p, end), *path = method ? next_line(&p, end) : NULL;
    char *auth = path ? next_line(&p, end) : NULL, *range = auth ? next_line(&p, end) : NULL;
    char *body = NULL;
    size_t body_len = 0;
    if (range) body = subst(p, (size_t)(end - p), 1, &body_len);
    if (!body) goto out;
    /* MHD splits the query string off the path before the handler sees it. */
    const char *query[2 * 8 + 1];
    char *q = strchr(path, '?');
    if (q) *q++ = 0;
    split_query(q, query, 8);
    const char *headers[] = {"Range", range, NULL};
    moted_resp r;
    moted_resp_init(&r);
    moted_http_dispatch(moted_http_of(g.m), method, path, *auth ? auth : NULL, (const uint8_t *)body, body_len,
                        query, *range ? headers : NULL, &r);
    if (g.verbose) {
        int text = r.body && r.content_type && strncmp(r.content_type, "application/octet", 17) != 0;
        fprintf(stderr, "  %s %s -> %d %.*s\n", method, path, r.status, text ? (int)(r.len < 160 ? r.len : 160) : 0,
                text ? (const char *)r.body : "");
    }
    int bad = !allowed(r.status);
    if (bad) fprintf(stderr, "fuzz_moted_request: %s %s: status %d\n", method, path, r.status);
    if (r.content_type && !strcmp(r.content_type, "application/json")) {
        json_error_t e;
        json_t *j = json_loadb((const char *)r.body, r.len, 0, &e);
        if (!j || (r.status >= 400 && !json_is_string(json_object_get(j, "error")))) {
            fprintf(stderr, "fuzz_moted_request: %s %s: %d with a bad JSON body: %.*s\n", method, path, r.status,
                    (int)r.len, r.body ? (const char *)r.body : "");
            bad = 1;
        }
        json_decref(j);
    }
    if (bad) {
        fprintf(stderr, "%.*s\n", (int)r.len, r.body ? (const char *)r.body : "");
        __builtin_trap();
    }
    moted_resp_release(&r);
out:
    free(method);
    free(path);
    free(auth);
    free(range);
    free(body);
    return 0;
}
