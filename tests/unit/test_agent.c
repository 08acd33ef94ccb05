/* Device agent against an in-process fake server: a real kws_int8 .mote file
 * (compiled here, optimized and reference kernels = two different artifacts
 * with the same outputs), manifests signed with a key made here. Checks the
 * install, every refusal (bytes, target, ABI, signature, self-test) with the
 * active model unchanged, resumed downloads, and roll-back without download. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "driver/compile_job.h"
#include "mote/agent.h"
#include "mote/mote_file.h"
#include "port_linux.h"

#define KWS MOTE_SHARED_DIR "/models/mlperf-tiny/kws_int8.tflite"
#define GOLD MOTE_SHARED_DIR "/golden/kws_int8/"
#define PROFILE "nucleo-l4r5zi"
#define ARENA (256u * 1024u)

/* ---- the fake server ---- */

typedef struct {
    uint8_t *bytes;
    size_t len;
    char sha[65];
} artifact;

static struct {
    uint8_t pk[32], sk[64];
    artifact art[3];           /* 0: optimized kernels, 1: reference kernels, 2: art 1 cut in half */
    uint8_t *in, *out;         /* golden self-test vector */
    size_t in_len, out_len;
    char offer[8192];          /* update JSON; "" = 204 */
    int tamper;                /* flip a byte of served artifacts */
    int64_t cut_at;            /* cut the next artifact transfer after this many bytes; -1 none */
    int artifact_gets;
    int64_t last_range;
    uint64_t bytes_served;
    char last_status[4096];    /* body of the last POST /v1/device/status */
    char last_telemetry[1024];
    int registrations;
} srv;

static int fake_http(void *ctx, const char *method, const char *path, const char *tok, int64_t range_from,
                     const uint8_t *body, size_t body_len, mote_agent_sink sink, void *user, int *status)
{
    (void)ctx;
    const char *resp = "";
    *status = 404;
    if (!strcmp(method, "POST") && !strcmp(path, "/v1/devices")) {
        static char reg[512];
        char pkhex[65];
        mc_hex_encode(srv.pk, 32, pkhex);
        if (!tok || strcmp(tok, "enroll-secret")) {
            *status = 401;
            resp = "{\"error\":\"token\"}";
        } else {
            srv.registrations++;
            snprintf(reg, sizeof reg,
                     "{\"id\":\"d-0123456789abcdef\",\"credential\":\"%064d\",\"profile\":\"%s\","
                     "\"server_key\":\"%s\"}",
                     7, PROFILE, pkhex);
            *status = 201;
            resp = reg;
        }
    } else if (!strcmp(path, "/v1/device/update")) {
        *status = srv.offer[0] ? 200 : 204;
        resp = srv.offer;
    } else if (!strcmp(path, "/v1/device/status") || !strcmp(path, "/v1/device/telemetry")) {
        char *dst = path[11] == 's' ? srv.last_status : srv.last_telemetry;
        size_t cap = path[11] == 's' ? sizeof srv.last_status : sizeof srv.last_telemetry;
        assert_true(body_len < cap);
        memcpy(dst, body, body_len);
        dst[body_len] = 0;
        *status = 204;
    } else if (!strncmp(path, "/v1/artifacts/", 14)) {
        for (int i = 0; i < 3; i++) {
            if (strcmp(path + 14, srv.art[i].sha)) continue;
            srv.artifact_gets++;
            srv.last_range = range_from;
            size_t from = range_from > 0 ? (size_t)range_from : 0;
            *status = range_from > 0 ? 206 : 200;
            for (size_t off = from; off < srv.art[i].len; off += 1000) {
                size_t n = srv.art[i].len - off < 1000 ? srv.art[i].len - off : 1000;
                if (srv.cut_at >= 0 && off + n > (size_t)srv.cut_at) {
                    n = (size_t)srv.cut_at - off;
                    if (n) sink(user, *status, srv.art[i].bytes + off, n);
                    srv.bytes_served += n;
                    srv.cut_at = -1;
                    return -1; /* connection dropped */
                }
                uint8_t chunk[1000];
                memcpy(chunk, srv.art[i].bytes + off, n);
                if (srv.tamper && off <= srv.art[i].len / 2 && srv.art[i].len / 2 < off + n)
                    chunk[srv.art[i].len / 2 - off] ^= 0x01;
                srv.bytes_served += n;
                if (sink(user, *status, chunk, n)) return -1;
            }
            return 0;
        }
    }
    if (*resp) sink(user, *status, (const uint8_t *)resp, strlen(resp));
    return 0;
}

static void sha_hex(const uint8_t *p, size_t n, char out[65])
{
    uint8_t d[32];
    crypto_hash_sha256(d, p, n);
    mc_hex_encode(d, 32, out);
}

/* An offer of artifact i. Overrides (NULL = right value) make bad ones; a
 * wrong expected output is signed like a right one. */
static void make_offer(int i, const char *target, int abi, int bad_key, const uint8_t *expected)
{
    char man[1024], in_sha[65], exp_sha[65], sig_hex[129];
    const uint8_t *exp = expected ? expected : srv.out;
    sha_hex(srv.in, srv.in_len, in_sha);
    sha_hex(exp, srv.out_len, exp_sha);
    snprintf(man, sizeof man,
             "mote-manifest=1\nartifact_sha256=%s\nsize=%zu\nformat=mote\ntarget=%s\nruntime_abi=%d\n"
             "model=kws\nversion=1.%d\nselftest_input_sha256=%s\nselftest_expected_sha256=%s\n",
             srv.art[i].sha, srv.art[i].len, target ? target : PROFILE, abi ? abi : MOTE_FILE_VERSION, i, in_sha,
             exp_sha);
    uint8_t sig[64], opk[32], osk[64];
    crypto_sign_keypair(opk, osk);
    crypto_sign_detached(sig, NULL, (const uint8_t *)man, strlen(man), bad_key ? osk : srv.sk);
    mc_hex_encode(sig, 64, sig_hex);
    char esc[1200], in_b64[1024], exp_b64[256];
    size_t o = 0;
    for (const char *s = man; *s; s++) {
        if (*s == '\n') {
            esc[o++] = '\\';
            esc[o++] = 'n';
        } else {
            esc[o++] = *s;
        }
    }
    esc[o] = 0;
    mc_b64_encode(srv.in, srv.in_len, in_b64);
    mc_b64_encode(exp, srv.out_len, exp_b64);
    snprintf(srv.offer, sizeof srv.offer,
             "{\"deployment\": 12, \"manifest\": \"%s\", \"signature\": \"%s\", \"artifact_url\": "
             "\"\\/v1\\/artifacts\\/%s\", \"selftest\": {\"input_b64\": \"%s\", \"expected_b64\": \"%s\"}}",
             esc, sig_hex, srv.art[i].sha, in_b64, exp_b64);
}

/* ---- the device ---- */

typedef struct {
    mote_linux_dev dev;
    mote_agent_port port;
    mote_agent agent;
    uint8_t *arena[2];
    char io[16384];
} device;

static const char *const feats[] = {"dsp", "fpu"};

static void device_boot(device *d, int keep_storage)
{
    char err[256];
    if (!keep_storage) {
        memset(d, 0, sizeof *d);
        assert_int_equal(mote_linux_dev_init(&d->dev, &d->port, NULL, 1, err, sizeof err), 0);
        d->port.http = fake_http;
        d->arena[0] = mote_linux_arena(ARENA);
        d->arena[1] = mote_linux_arena(ARENA);
    }
    mote_agent_config cfg = {.name = "test-0", .profile = PROFILE, .facts = {.core = "cortex-m4f", .clock_mhz = 120,
                             .ram_kb = 640, .flash_kb = 2048, .features = feats, .n_features = 2},
                             .arena = {d->arena[0], d->arena[1]}, .arena_bytes = {ARENA, ARENA},
                             .io_buf = d->io, .io_cap = sizeof d->io};
    assert_int_equal(mote_agent_init(&d->agent, &d->port, &cfg), MOTE_AGENT_OK);
}

static void device_free(device *d)
{
    mote_linux_dev_free(&d->dev);
    free(d->arena[0]);
    free(d->arena[1]);
}

static void reset_server(void)
{
    srv.offer[0] = 0;
    srv.tamper = 0;
    srv.cut_at = -1;
    srv.artifact_gets = 0;
    srv.bytes_served = 0;
    srv.last_range = -2;
    srv.last_status[0] = 0;
}

/* The active model gives the golden output for the golden input. */
static void assert_answers(device *d)
{
    const uint8_t *out;
    size_t n;
    int cls = -1;
    assert_int_equal(mote_agent_infer(&d->agent, srv.in, srv.in_len, &out, &n, &cls), MOTE_AGENT_OK);
    assert_int_equal(n, srv.out_len);
    assert_memory_equal(out, srv.out, n);
    int best = 0;
    for (size_t i = 1; i < n; i++)
        if ((int8_t)srv.out[i] > (int8_t)srv.out[best]) best = (int)i;
    assert_int_equal(cls, best);
}

/* A registered device running artifact 0. */
static void device_with_model(device *d)
{
    reset_server();
    device_boot(d, 0);
    assert_int_equal(mote_agent_register(&d->agent, "enroll-secret"), MOTE_AGENT_OK);
    make_offer(0, NULL, 0, 0, NULL);
    assert_int_equal(mote_agent_poll_once(&d->agent), MOTE_AGENT_OK);
    reset_server();
}

/* ---- tests ---- */

static void test_codec(void **st)
{
    (void)st;
    char enc[16], s[32];
    uint8_t dec[16];
    size_t n;
    mc_b64_encode((const uint8_t *)"mote!", 5, enc);
    assert_string_equal(enc, "bW90ZSE=");
    assert_int_equal(mc_b64_decode(enc, strlen(enc), dec, sizeof dec, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(dec, "mote!", 5);
    assert_int_equal(mc_b64_decode("bW9=ZSE=", 8, dec, sizeof dec, &n), -1);
    const char *doc = "{ \"a\" : [1, {\"x\":\"}\"}], \"b\":\"q\\\"\\n\\u00e9\\/\", \"n\": -42 }";
    mj_span d = mj_doc(doc, strlen(doc)), v;
    int64_t i;
    assert_int_equal(mj_get(d, "b", &v), 0);
    assert_int_equal(mj_string(v, s, sizeof s, &n), 0);
    assert_string_equal(s, "q\"\n\xc3\xa9/");
    assert_int_equal(mj_get(d, "n", &v), 0);
    assert_int_equal(mj_int(v, &i), 0);
    assert_int_equal(i, -42);
    assert_int_equal(mj_get(d, "x", &v), -1); /* only the object's own members */
    assert_int_equal(mj_get(mj_doc("{\"a\":", 5), "a", &v), -1);
    /* the writer emits UTF-8 only (moted refuses other JSON): stray bytes, a character cut short,
     * a surrogate or an overlong form become U+FFFD; well-formed characters pass as they are */
    char w[128];
    mj_writer jw;
    mjw_init(&jw, w, sizeof w);
    mjw_str(&jw, "a\xff" "b\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xc3|\xed\xa0\x80|\xc0\xaf|\xe2\x82");
    assert_int_equal(mjw_end(&jw), 0);
    assert_string_equal(w, "\"a\\ufffdb\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\\ufffd|\\ufffd\\ufffd\\ufffd|"
                           "\\ufffd\\ufffd|\\ufffd\\ufffd\"");
}

static void test_install(void **st)
{
    (void)st;
    device d;
    reset_server();
    device_boot(&d, 0);
    assert_int_equal(mote_agent_poll_once(&d.agent), MOTE_AGENT_ERR_STATE);
    assert_int_equal(mote_agent_register(&d.agent, "wrong"), MOTE_AGENT_ERR_HTTP);
    assert_int_equal(mote_agent_register(&d.agent, "enroll-secret"), MOTE_AGENT_OK);
    assert_string_equal(d.agent.rec.device_id, "d-0123456789abcdef");
    assert_string_equal(d.agent.rec.profile, PROFILE);
    assert_int_equal(mote_agent_poll_once(&d.agent), MOTE_AGENT_IDLE);
    assert_int_equal(mote_agent_infer(&d.agent, NULL, 0, NULL, NULL, NULL), MOTE_AGENT_ERR_STATE);
    make_offer(0, NULL, 0, 0, NULL);
    assert_int_equal(mote_agent_poll_once(&d.agent), MOTE_AGENT_OK);
    assert_string_equal(mote_agent_active_sha(&d.agent), srv.art[0].sha);
    assert_int_equal(srv.bytes_served, srv.art[0].len);
    assert_int_equal(d.agent.counters.installs, 1);
    /* confirmed, with the self-test output */
    char out_b64[64], want[256];
    mc_b64_encode(srv.out, srv.out_len, out_b64);
    snprintf(want, sizeof want, "{\"deployment\":12,\"artifact\":\"%s\",\"state\":\"confirmed\",\"output_b64\":\"%s\"}",
             srv.art[0].sha, out_b64);
    assert_string_equal(srv.last_status, want);
    assert_answers(&d);
    assert_answers(&d);
    assert_int_equal(mote_agent_report_telemetry(&d.agent), MOTE_AGENT_OK);
    assert_non_null(strstr(srv.last_telemetry, "\"inferences\":2,"));
    assert_non_null(strstr(srv.last_telemetry, "\"histogram\":["));
    /* the same offer again (lost confirmation): confirmed again, nothing downloaded */
    srv.bytes_served = 0;
    assert_int_equal(mote_agent_poll_once(&d.agent), MOTE_AGENT_OK);
    assert_int_equal(srv.bytes_served, 0);
    assert_non_null(strstr(srv.last_status, "\"confirmed\""));
    /* a reboot restores the active model from its slot, no re-registration */
    int regs = srv.registrations;
    device_boot(&d, 1);
    assert_int_equal(mote_agent_register(&d.agent, "enroll-secret"), MOTE_AGENT_OK);
    assert_int_equal(srv.registrations, regs);
    assert_string_equal(mote_agent_active_sha(&d.agent), srv.art[0].sha);
    assert_answers(&d);
    device_free(&d);
}

/* Offer artifact 1 in a bad way: rejected, reported failed with why, artifact 0 still runs. */
static void expect_reject(device *d, const char *why, int downloads)
{
    assert_int_equal(mote_agent_poll_once(&d->agent), MOTE_AGENT_REJECTED);
    assert_non_null(strstr(d->agent.last_error, why));
    assert_non_null(strstr(srv.last_status, "\"state\":\"failed\""));
    assert_non_null(strstr(srv.last_status, why));
    assert_int_equal(srv.artifact_gets, downloads);
    assert_string_equal(mote_agent_active_sha(&d->agent), srv.art[0].sha);
    assert_answers(d);
    reset_server();
}

static void test_rejects(void **st)
{
    (void)st;
    device d;
    device_with_model(&d);
    srv.tamper = 1;
    make_offer(1, NULL, 0, 0, NULL);
    expect_reject(&d, "sha256 mismatch", 1);
    make_offer(1, "stm32f746", 0, 0, NULL);
    expect_reject(&d, "target stm32f746", 0);
    make_offer(1, NULL, MOTE_FILE_VERSION + 1, 0, NULL);
    expect_reject(&d, "runtime_abi", 0);
    make_offer(1, NULL, 0, 1, NULL);
    expect_reject(&d, "signature", 0);
    /* a signed manifest, but the self-test vector in the offer is not the signed one */
    make_offer(1, NULL, 0, 0, NULL);
    char *p = strstr(srv.offer, "\"expected_b64\": \"") + 17;
    *p = *p == 'A' ? 'B' : 'A';
    expect_reject(&d, "selftest_expected_sha256", 0);
    /* self-test fails: the candidate is refused after loading, the old model answers */
    uint8_t wrong[64];
    memcpy(wrong, srv.out, srv.out_len);
    wrong[0] ^= 0x40;
    make_offer(1, NULL, 0, 0, wrong);
    expect_reject(&d, "self-test output differs", 1);
    /* a truncated file that still hashes right is refused by the .mote loader */
    make_offer(2, NULL, 0, 0, NULL);
    expect_reject(&d, "loader refused the artifact: ", 1);
    device_free(&d);
}

static void test_resume(void **st)
{
    (void)st;
    device d;
    device_with_model(&d);
    make_offer(1, NULL, 0, 0, NULL);
    srv.cut_at = 23456;
    assert_int_equal(mote_agent_poll_once(&d.agent), MOTE_AGENT_ERR_NET);
    assert_int_equal(srv.last_range, -1);
    assert_int_equal(d.agent.rec.dl_offset, 23456);
    assert_string_equal(mote_agent_active_sha(&d.agent), srv.art[0].sha);
    assert_answers(&d); /* still the old model */
    assert_int_equal(mote_agent_poll_once(&d.agent), MOTE_AGENT_OK);
    assert_int_equal(srv.last_range, 23456);
    assert_int_equal(srv.artifact_gets, 2);
    assert_int_equal(srv.bytes_served, srv.art[1].len); /* nothing fetched twice */
    assert_int_equal(d.agent.counters.resumes, 1);
    assert_string_equal(mote_agent_active_sha(&d.agent), srv.art[1].sha);
    assert_answers(&d);
    device_free(&d);
}

static void test_rollback_without_download(void **st)
{
    (void)st;
    device d;
    device_with_model(&d);
    make_offer(1, NULL, 0, 0, NULL);
    assert_int_equal(mote_agent_poll_once(&d.agent), MOTE_AGENT_OK);
    assert_string_equal(mote_agent_active_sha(&d.agent), srv.art[1].sha);
    reset_server();
    make_offer(0, NULL, 0, 0, NULL); /* the server takes the update back */
    assert_int_equal(mote_agent_poll_once(&d.agent), MOTE_AGENT_OK);
    assert_int_equal(srv.artifact_gets, 0);
    assert_int_equal(srv.bytes_served, 0);
    assert_int_equal(d.agent.counters.switches_without_download, 1);
    assert_string_equal(mote_agent_active_sha(&d.agent), srv.art[0].sha);
    assert_non_null(strstr(srv.last_status, "\"confirmed\""));
    assert_answers(&d);
    device_free(&d);
}

/* An answer larger than the I/O buffer: a malformed response, and the error names the request once. */
static void test_response_too_large(void **st)
{
    (void)st;
    device d;
    device_with_model(&d);
    make_offer(1, NULL, 0, 0, NULL);
    assert_true(strlen(srv.offer) > 1024);
    d.agent.cfg.io_cap = 1024;
    assert_int_equal(mote_agent_poll_once(&d.agent), MOTE_AGENT_ERR_PROTO);
    assert_string_equal(d.agent.last_error, "response to GET /v1/device/update does not fit the I/O buffer");
    assert_string_equal(mote_agent_active_sha(&d.agent), srv.art[0].sha);
    device_free(&d);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static int setup(void **st)
{
    (void)st;
    if (sodium_init() < 0) return -1;
    crypto_sign_keypair(srv.pk, srv.sk);
    for (int i = 0; i < 2; i++) {
        compile_job j;
        const compile_kernels k = {i, MOTE_OPTIMIZE_BALANCED};
        if (compile_job_open(&j, KWS, PROFILE, &k) != 0) return -1;
        srv.art[i].bytes = j.mote_file;
        srv.art[i].len = j.mote_len;
        j.mote_file = NULL;
        compile_job_close(&j);
        sha_hex(srv.art[i].bytes, srv.art[i].len, srv.art[i].sha);
    }
    if (!strcmp(srv.art[0].sha, srv.art[1].sha)) return -1;
    srv.art[2].len = srv.art[1].len / 2;
    srv.art[2].bytes = malloc(srv.art[2].len);
    if (!srv.art[2].bytes) return -1;
    memcpy(srv.art[2].bytes, srv.art[1].bytes, srv.art[2].len);
    sha_hex(srv.art[2].bytes, srv.art[2].len, srv.art[2].sha);
    srv.in = read_all(GOLD "in_00.bin", &srv.in_len);
    srv.out = read_all(GOLD "out_00.bin", &srv.out_len);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec),
        cmocka_unit_test(test_install),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_rollback_without_download),
        cmocka_unit_test(test_response_too_large),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
