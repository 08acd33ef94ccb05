/* libFuzzer target: the device agent's readers of server input.
 *
 * Two parts per input:
 *  - the codec (device/src/codec.c) on every response body: the JSON reader
 *    (mj_get / mj_string / mj_int on exact-size buffers, so ASan sees any read
 *    past them), base64 and hex decoding, and round trips that must give the
 *    bytes back (encode -> decode, mjw_str -> mj_string);
 *  - the agent itself (register, polls, install, telemetry) through its public
 *    API on a fake port whose transport answers from the input.
 *
 * Input: a flags byte, then the answers to the agent's HTTP requests in the
 * order it makes them, separated by "\n--\n". An answer is "SSS\n" + body:
 * SSS the status ("000": the transport fails). Answering a GET of
 * /v1/artifacts/... the body "@ART@ [cut=N] [extra=N] [flip=N] [norange]"
 * serves the real artifact (from the Range offset unless norange; cut: the
 * connection drops after N bytes; extra: N more bytes than the file; flip: one
 * byte changed). When the answers run out the transport fails.
 *
 * The artifact is hello_world compiled at start, with a self-test vector made
 * here. Placeholders in bodies are replaced, so seeds stay valid whatever the
 * compiler emits: @SHA@ @SIZE@ @ABI@ @INSHA@ @EXPSHA@ @IN64@ @EXP64@ @KEY@
 * (the trusted public key, hex) and @SIG@: a valid signature of the body's
 * manifest, but only of a manifest naming the real artifact's sha256 (else
 * 64 zero bytes). So whatever the agent installs can only be the real
 * artifact; a .mote file with mutated parameter blocks would run kernels out
 * of bounds by design (mote_file.h: files are trusted once signed), and the
 * .mote loader has its own fuzzer.
 *
 * Flags: bit 0 reboot (re-init from the saved record) after each poll;
 * bits 1-2 the Nth record save fails (0: none); bit 3 a small I/O buffer
 * (1 KiB); bits 4-5 polls - 1; bit 6 register from a saved record.
 *
 * Checks (a violation traps): every status is a known one; last_error is a
 * terminated string; an installed model is the real artifact and answers the
 * self-test input with the expected output; every request body the agent
 * writes is valid JSON (jansson, as moted parses it). */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "driver/compile_job.h"
#include "mote/agent.h"
#include "mote/mote_file.h"

#define HELLO MOTE_SHARED_DIR "/models/tflm/hello_world_int8.tflite"
#define PROFILE "nucleo-l4r5zi"
#define ARENA (64u * 1024u)
#define SLOT_CAP (64u * 1024u)
#define SEP "\n--\n"
#define MAX_BODY (256u * 1024u)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                                     \
    do {                                                                                                             \
        if (!(c)) {                                                                                                  \
            fprintf(stderr, "fuzz_agent_codec: check failed: %s (line %d)\n", #c, __LINE__);                        \
            __builtin_trap();                                                                                        \
        }                                                                                                            \
    } while (0)

/* What Initialize makes once. */
static struct {
    uint8_t *art;
    size_t art_len;
    char sha[65], in_sha[65], exp_sha[65], key_hex[65];
    uint8_t pk[32], sk[64];
    uint8_t in[4096], exp[4096];
    size_t in_len, exp_len;
    char *in_b64, *exp_b64;
    uint8_t *arena[2], *slot[2];
} g;

static int verbose; /* MOTE_FUZZ_VERBOSE set: each step's outcome on stderr (to check what a seed reaches) */

/* One input's fake device: transport answers, slots, record. */
typedef struct {
    const uint8_t *p, *end; /* answers not consumed yet */
    mote_agent_record rec;
    int has_rec;
    int saves, fail_save; /* fail the fail_save-th save (0: never) */
    uint64_t clock;
} fake;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_agent_codec: setup: %s\n", what);
    exit(1);
}

static char *b64(const uint8_t *p, size_t n)
{
    char *s = malloc(mc_b64_encoded_len(n) + 1);
    if (!s) die("out of memory");
    mc_b64_encode(p, n, s);
    return s;
}

static void sha_hex(const uint8_t *p, size_t n, char out[65])
{
    uint8_t d[32];
    crypto_hash_sha256(d, p, n);
    mc_hex_encode(d, 32, out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (sodium_init() < 0) die("libsodium");
    uint8_t seed[32];
    memset(seed, 7, sizeof seed);
    crypto_sign_seed_keypair(g.pk, g.sk, seed);
    mc_hex_encode(g.pk, 32, g.key_hex);
    compile_job j;
    if (compile_job_open(&j, HELLO, PROFILE, NULL) != 0) die(HELLO);
    g.art = j.mote_file;
    g.art_len = j.mote_len;
    j.mote_file = NULL;
    compile_job_close(&j);
    if (g.art_len > SLOT_CAP) die("the artifact is larger than a slot");
    sha_hex(g.art, g.art_len, g.sha);
    for (int i = 0; i < 2; i++) {
        g.arena[i] = aligned_alloc(16, ARENA);
        g.slot[i] = aligned_alloc(16, SLOT_CAP);
        if (!g.arena[i] || !g.slot[i]) die("out of memory");
    }
    /* Self-test vector: a fixed input and the host runtime's output for it. */
    mote_model m;
    int32_t ei;
    if (mote_file_load(g.art, g.art_len, g.arena[0], ARENA, &m, &ei) != MOTE_FILE_OK) die("loading the artifact");
    for (int32_t i = 0; i < m.n_inputs; i++) {
        mote_tensor *t = &m.tensors[m.inputs[i]];
        if (g.in_len + t->bytes > sizeof g.in) die("input too large");
        for (size_t k = 0; k < t->bytes; k++) g.in[g.in_len + k] = (uint8_t)(k * 37 + 11);
        memcpy(t->data, g.in + g.in_len, t->bytes);
        g.in_len += t->bytes;
    }
    mote_reset(&m);
    mote_invoke(&m);
    for (int32_t i = 0; i < m.n_outputs; i++) {
        const mote_tensor *t = &m.tensors[m.outputs[i]];
        if (g.exp_len + t->bytes > sizeof g.exp) die("output too large");
        memcpy(g.exp + g.exp_len, t->data, t->bytes);
        g.exp_len += t->bytes;
    }
    sha_hex(g.in, g.in_len, g.in_sha);
    sha_hex(g.exp, g.exp_len, g.exp_sha);
    g.in_b64 = b64(g.in, g.in_len);
    g.exp_b64 = b64(g.exp, g.exp_len);
    verbose = getenv("MOTE_FUZZ_VERBOSE") != NULL;
    return 0;
}

/* ---- the codec on its own ---- */

/* Reads of every shape the agent uses, on an exact-size copy. */
static void codec_probe(const uint8_t *data, size_t n)
{
    char *s = malloc(n ? n : 1);
    if (!s) return;
    memcpy(s, data, n);
    mj_span doc = mj_doc(s, n), v, sub;
    static const char *const keys[] = {"id", "credential", "profile", "server_key", "deployment", "manifest",
                                       "signature", "artifact_url", "selftest", "input_b64", "expected_b64", ""};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        if (mj_get(doc, keys[k], &v) != 0) continue;
        CHECK(v.p >= s && v.n > 0 && v.n <= n - (size_t)(v.p - s));
        char out[96];
        size_t len = 0;
        if (mj_string(v, out, sizeof out, &len) == 0) CHECK(len < sizeof out && out[len] == 0);
        int64_t x;
        (void)mj_int(v, &x);
        if (mj_get(v, "input_b64", &sub) == 0) CHECK(sub.p >= v.p && sub.p + sub.n <= v.p + v.n);
        /* in place, as parse_update decodes the self-test vectors */
        if (mj_is_string(v)) {
            char *w = s + (v.p - s);
            if (mj_string(v, w, v.n, &len) == 0) {
                CHECK(len < v.n);
                size_t bl;
                (void)mc_b64_decode(w, len, (uint8_t *)w, v.n, &bl);
            }
            break; /* s is changed now */
        }
    }
    /* base64 and hex of the raw bytes */
    uint8_t *bin = malloc(n / 4 * 3 + 1);
    size_t bl = 0;
    if (bin && mc_b64_decode(s, n, bin, n / 4 * 3, &bl) == 0) CHECK(bl <= n / 4 * 3);
    if (bin && n % 2 == 0) (void)mc_hex_decode(s, n, bin, n / 2);
    free(bin);
    free(s);
}

/* Round trips: encoders and decoders agree on any bytes. */
static void codec_roundtrip(const uint8_t *data, size_t n)
{
    if (n > 4096) n = 4096;
    char *e = malloc(mc_b64_encoded_len(n) + 1), *h = malloc(2 * n + 1);
    uint8_t *d = malloc(n + 1);
    CHECK(e && h && d);
    mc_b64_encode(data, n, e);
    size_t el = strlen(e), dl = 0;
    CHECK(el == mc_b64_encoded_len(n));
    CHECK(mc_b64_decode(e, el, d, n, &dl) == 0 && dl == n && !memcmp(d, data, n));
    if (n) CHECK(mc_b64_decode(e, el, d, n - 1, &dl) != 0); /* one byte short of room */
    mc_hex_encode(data, n, h);
    CHECK(strlen(h) == 2 * n && mc_hex_decode(h, 2 * n, d, n) == 0 && !memcmp(d, data, n));
    /* a C string through the JSON writer and reader */
    char *str = malloc(n + 1), *w = malloc(6 * n + 3), *back = malloc(n + 1);
    CHECK(str && w && back);
    size_t sl = 0;
    for (size_t i = 0; i < n; i++)
        if (data[i]) str[sl++] = (char)data[i];
    str[sl] = 0;
    mj_writer jw;
    mjw_init(&jw, w, 6 * n + 3);
    mjw_str(&jw, str);
    CHECK(mjw_end(&jw) == 0);
    /* always JSON moted accepts; the same string back when it was UTF-8 (else stray bytes became U+FFFD) */
    json_t *parsed = json_loadb(w, jw.len, JSON_DECODE_ANY, NULL);
    CHECK(json_is_string(parsed));
    json_t *valid = json_stringn(str, sl);
    if (valid) CHECK(json_equal(parsed, valid));
    json_decref(valid);
    json_decref(parsed);
    mj_span v = {w, jw.len};
    size_t bl = 0;
    int back_ok = mj_string(v, back, n + 1, &bl) == 0;
    if (valid) CHECK(back_ok && bl == sl && !memcmp(back, str, sl));
    free(str);
    free(w);
    free(back);
    free(e);
    free(h);
    free(d);
}

/* ---- the fake port ---- */

/* The next answer: status and body span; 0, or -1 when none is left. */
static int next_answer(fake *f, int *status, const uint8_t **body, size_t *len)
{
    if (f->p >= f->end) return -1;
    const uint8_t *s = f->p, *e = s;
    size_t sl = strlen(SEP);
    while ((size_t)(f->end - e) >= sl && memcmp(e, SEP, sl) != 0) e++;
    if ((size_t)(f->end - e) < sl) e = f->end;
    f->p = e == f->end ? e : e + sl;
    *status = 200;
    if (e - s >= 3 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9') {
        *status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
        s += 3;
        if (s < e && *s == '\n') s++;
    }
    *body = s;
    *len = (size_t)(e - s);
    return 0;
}

/* Append to a growing buffer; -1 past MAX_BODY. */
static int put(char **o, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        if (nc > MAX_BODY) return -1;
        char *gr = realloc(*o, nc);
        if (!gr) return -1;
        *o = gr;
        *cap = nc;
    }
    memcpy(*o + *len, p, n);
    *len += n;
    (*o)[*len] = 0;
    return 0;
}

/* The signature @SIG@ stands for: of the body's manifest as the agent will read it. */
static void sign_manifest(const char *body, size_t len, char out[129])
{
    uint8_t sig[64];
    char man[1024];
    memset(sig, 0, sizeof sig);
    mj_span v;
    char want[96];
    snprintf(want, sizeof want, "\nartifact_sha256=%s\n", g.sha);
    if (mj_get(mj_doc(body, len), "manifest", &v) == 0 && mj_string(v, man, sizeof man, NULL) == 0 &&
        strstr(man, want))
        crypto_sign_detached(sig, NULL, (const uint8_t *)man, strlen(man), g.sk);
    mc_hex_encode(sig, 64, out);
}

/* body with the placeholders replaced, in an exact-size buffer (NULL: too large). */
static char *expand(const uint8_t *s, size_t n, size_t *out_len)
{
    char size[24], abi[24];
    snprintf(size, sizeof size, "%zu", g.art_len);
    snprintf(abi, sizeof abi, "%d", MOTE_FILE_VERSION);
    const char *const tab[][2] = {{"@SHA@", g.sha},       {"@SIZE@", size},       {"@ABI@", abi},
                                  {"@INSHA@", g.in_sha},  {"@EXPSHA@", g.exp_sha}, {"@IN64@", g.in_b64},
                                  {"@EXP64@", g.exp_b64}, {"@KEY@", g.key_hex}};
    char *o = NULL;
    size_t len = 0, cap = 0;
    int has_sig = 0;
    if (put(&o, &len, &cap, "", 0) != 0) return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = 0, kl = 0;
        for (; s[i] == '@' && k < sizeof tab / sizeof tab[0]; k++) {
            kl = strlen(tab[k][0]);
            if (n - i >= kl && !memcmp(s + i, tab[k][0], kl)) break;
        }
        int r;
        if (s[i] == '@' && k < sizeof tab / sizeof tab[0]) {
            r = put(&o, &len, &cap, tab[k][1], strlen(tab[k][1]));
            i += kl;
        } else {
            has_sig |= n - i >= 5 && !memcmp(s + i, "@SIG@", 5);
            r = put(&o, &len, &cap, s + i, 1);
            i++;
        }
        if (r != 0) {
            free(o);
            return NULL;
        }
    }
    if (has_sig) {
        char sig[129], *t = NULL;
        size_t tl = 0, tc = 0;
        sign_manifest(o, len, sig);
        for (size_t i = 0; i < len;) {
            int is = len - i >= 5 && !memcmp(o + i, "@SIG@", 5);
            if (put(&t, &tl, &tc, is ? sig : o + i, is ? 128 : 1) != 0) {
                free(t);
                free(o);
                return NULL;
            }
            i += is ? 5 : 1;
        }
        free(o);
        o = t;
        len = tl;
    }
    char *exact = malloc(len ? len : 1);
    if (exact && len) memcpy(exact, o, len);
    free(o);
    *out_len = len;
    return exact;
}

/* "name=N" in the options after @ART@; def when absent. */
static long art_opt(const uint8_t *s, size_t n, const char *name, long def)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl < n; i++) {
        if (memcmp(s + i, name, nl) != 0 || s[i + nl] != '=') continue;
        long v = 0;
        for (size_t k = i + nl + 1; k < n && s[k] >= '0' && s[k] <= '9' && v < 10000000; k++) v = v * 10 + (s[k] - '0');
        return v;
    }
    return def;
}

static int serve_artifact(const uint8_t *opt, size_t n, int status, int64_t range_from, mote_agent_sink sink,
                          void *user, int *st)
{
    int norange = 0;
    for (size_t i = 0; i + 7 <= n; i++) norange |= !memcmp(opt + i, "norange", 7);
    long cut = art_opt(opt, n, "cut", -1), extra = art_opt(opt, n, "extra", 0), flip = art_opt(opt, n, "flip", -1);
    size_t total = g.art_len + (size_t)extra;
    size_t from = range_from > 0 && !norange ? (size_t)range_from : 0;
    *st = status == 200 && from > 0 ? 206 : status;
    size_t sent = 0;
    for (size_t off = from; off < total; off += 700) {
        uint8_t chunk[700];
        size_t k = total - off < sizeof chunk ? total - off : sizeof chunk;
        for (size_t i = 0; i < k; i++) {
            size_t at = off + i;
            chunk[i] = at < g.art_len ? g.art[at] : (uint8_t)at;
            if ((long)at == flip) chunk[i] ^= 0x20;
        }
        if (cut >= 0 && sent + k > (size_t)cut) {
            k = (size_t)cut - sent;
            if (k) (void)sink(user, *st, chunk, k);
            return -1;
        }
        if (sink(user, *st, chunk, k)) return -1;
        sent += k;
    }
    return 0;
}

/* What moted would do with the body: parse it as JSON. */
static void check_request_body(const char *path, const uint8_t *body, size_t len)
{
    if (!body) return;
    json_error_t e;
    json_t *j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &e);
    if (!j || !json_is_object(j)) {
        fprintf(stderr, "fuzz_agent_codec: %s: the agent sent malformed JSON (%s): %.*s\n", path, e.text, (int)len,
                (const char *)body);
        __builtin_trap();
    }
    json_decref(j);
}

static int f_http(void *ctx, const char *method, const char *path, const char *tok, int64_t range_from,
                  const uint8_t *body, size_t body_len, mote_agent_sink sink, void *user, int *status)
{
    fake *f = ctx;
    (void)tok;
    CHECK(method && path && path[0] == '/');
    check_request_body(path, body, body_len);
    const uint8_t *b;
    size_t n;
    *status = 0;
    if (next_answer(f, status, &b, &n) != 0 || *status == 0) return -1;
    if (!strcmp(method, "GET") && !strncmp(path, "/v1/artifacts/", 14) && n >= 5 && !memcmp(b, "@ART@", 5))
        return serve_artifact(b + 5, n - 5, *status, range_from, sink, user, status);
    size_t len = 0;
    char *text = expand(b, n, &len);
    if (!text) return -1;
    codec_probe((const uint8_t *)text, len);
    /* two chunks, split where the body says (its length), as a network would */
    size_t cut = len ? n % len : 0;
    int r = 0;
    if (cut && sink(user, *status, (const uint8_t *)text, cut)) r = -1;
    if (!r && len > cut && sink(user, *status, (const uint8_t *)text + cut, len - cut)) r = -1;
    free(text);
    return r;
}

static int f_slot_erase(void *ctx, int slot, size_t bytes)
{
    (void)ctx;
    CHECK(slot == 0 || slot == 1);
    if (bytes > SLOT_CAP) return -1;
    memset(g.slot[slot], 0xFF, SLOT_CAP);
    return 0;
}

static int f_slot_write(void *ctx, int slot, size_t offset, const uint8_t *data, size_t n)
{
    (void)ctx;
    CHECK(slot == 0 || slot == 1);
    CHECK(offset <= SLOT_CAP && n <= SLOT_CAP - offset); /* the agent bounds writes by the erased size */
    memcpy(g.slot[slot] + offset, data, n);
    return 0;
}

static const uint8_t *f_slot_map(void *ctx, int slot, size_t *cap)
{
    (void)ctx;
    CHECK(slot == 0 || slot == 1);
    *cap = SLOT_CAP;
    return g.slot[slot];
}

static int f_record_load(void *ctx, mote_agent_record *r)
{
    fake *f = ctx;
    if (!f->has_rec) return 1;
    *r = f->rec;
    return 0;
}

static int f_record_save(void *ctx, const mote_agent_record *r)
{
    fake *f = ctx;
    if (++f->saves == f->fail_save) return -1;
    f->rec = *r;
    f->has_rec = 1;
    return 0;
}

static uint64_t f_now(void *ctx)
{
    fake *f = ctx;
    return f->clock += 250;
}

static void f_sha_init(void *ctx, mote_sha256_state *s)
{
    (void)ctx;
    crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)s);
}

static void f_sha_update(void *ctx, mote_sha256_state *s, const uint8_t *p, size_t n)
{
    (void)ctx;
    crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)s, p, n);
}

static void f_sha_final(void *ctx, mote_sha256_state *s, uint8_t out[32])
{
    (void)ctx;
    crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)s, out);
}

static int f_verify(void *ctx, const uint8_t sig[64], const uint8_t *msg, size_t n, const uint8_t pk[32])
{
    (void)ctx;
    return crypto_sign_verify_detached(sig, msg, n, pk);
}

/* ---- the agent ---- */

static void check_agent(const mote_agent *a, mote_agent_status s)
{
    if (verbose)
        fprintf(stderr, "  %-22s active=%.12s installs=%u rejects=%u resumes=%u  %s\n", mote_agent_status_name(s),
                mote_agent_active_sha(a), a->counters.installs, a->counters.rejects, a->counters.resumes,
                a->last_error);
    CHECK(s >= MOTE_AGENT_OK && s <= MOTE_AGENT_ERR_ARG && mote_agent_status_name(s)[0] != '?');
    CHECK(memchr(a->last_error, 0, sizeof a->last_error) != NULL);
    const char *act = mote_agent_active_sha(a);
    CHECK(act[0] == 0 || !strcmp(act, g.sha));
}

/* The installed model, if any, answers the self-test input exactly. */
static void check_model(mote_agent *a)
{
    if (a->active_arena < 0) return;
    CHECK(!strcmp(mote_agent_active_sha(a), g.sha));
    mote_model *m = &a->model[a->active_arena];
    mote_reset(m);
    const uint8_t *out;
    size_t n;
    CHECK(mote_agent_infer(a, g.in, g.in_len, &out, &n, NULL) == MOTE_AGENT_OK);
    CHECK(n <= g.exp_len && !memcmp(out, g.exp, n));
}

static void run_agent(const uint8_t *data, size_t size)
{
    uint8_t flags = data[0];
    fake f;
    memset(&f, 0, sizeof f);
    f.p = data + 1;
    f.end = data + size;
    f.fail_save = flags >> 1 & 3;
    mote_agent_port port = {.ctx = &f,
                            .http = f_http,
                            .slot_erase = f_slot_erase,
                            .slot_write = f_slot_write,
                            .slot_map = f_slot_map,
                            .record_load = f_record_load,
                            .record_save = f_record_save,
                            .now_us = f_now,
                            .sha256_init = f_sha_init,
                            .sha256_update = f_sha_update,
                            .sha256_final = f_sha_final,
                            .ed25519_verify = f_verify};
    memset(g.slot[0], 0xFF, SLOT_CAP);
    memset(g.slot[1], 0xFF, SLOT_CAP);
    if (flags & 64) { /* an earlier life: registered, nothing installed */
        f.has_rec = 1;
        f.rec.magic = MOTE_AGENT_RECORD_MAGIC;
        snprintf(f.rec.device_id, sizeof f.rec.device_id, "d-0123456789abcdef");
        snprintf(f.rec.credential, sizeof f.rec.credential, "%064d", 7);
        snprintf(f.rec.profile, sizeof f.rec.profile, PROFILE);
        memcpy(f.rec.server_key, g.pk, 32);
        f.rec.active_slot = -1;
    }
    size_t io_cap = flags & 8 ? 1024 : 16384;
    char *io = malloc(io_cap); /* exact size: ASan sees any write past io_cap */
    mote_agent *a = malloc(sizeof *a);
    CHECK(io && a);
    static const char *const feats[] = {"dsp", "fpu"};
    mote_agent_config cfg = {.name = "fuzz-0", .profile = PROFILE,
                             .facts = {.core = "cortex-m4f", .clock_mhz = 120, .ram_kb = 640, .flash_kb = 2048,
                                       .features = feats, .n_features = 2},
                             .arena = {g.arena[0], g.arena[1]}, .arena_bytes = {ARENA, ARENA},
                             .io_buf = io, .io_cap = io_cap};
    mote_agent_status s = mote_agent_init(a, &port, &cfg);
    check_agent(a, s);
    if (s == MOTE_AGENT_OK) {
        s = mote_agent_register(a, "enroll-token");
        check_agent(a, s);
        int polls = 1 + (flags >> 4 & 3);
        for (int i = 0; i < polls && s != MOTE_AGENT_ERR_STORAGE; i++) {
            s = mote_agent_poll_once(a);
            check_agent(a, s);
            if (s == MOTE_AGENT_OK) CHECK(!strcmp(mote_agent_active_sha(a), g.sha));
            check_model(a);
            if (flags & 1) {
                s = mote_agent_init(a, &port, &cfg);
                check_agent(a, s);
                if (s != MOTE_AGENT_OK) break;
                check_model(a);
            }
        }
        check_agent(a, mote_agent_report_telemetry(a));
    }
    free(a);
    free(io);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    codec_probe(data + 1, size - 1);
    codec_roundtrip(data + 1, size - 1);
    run_agent(data, size);
    return 0;
}
