/* Device agent: one update check and, when the server offers an update, the
 * install: verify the signed manifest, download (resuming), check size and
 * sha256, load into the candidate arena, self-test, switch, report. */
#include <string.h>

#include "agent_internal.h"
#include "mote/mote_file.h"

/* Save the download position at most this often (flash wear vs re-download). */
#define PROGRESS_SAVE_BYTES 8192u

typedef struct {
    uint64_t size;
    char sha[65], format[16], target[64], model[64], version[64];
    uint64_t runtime_abi;
    char in_sha[65], exp_sha[65];
} manifest;

typedef struct {
    const uint8_t *in, *exp;
    size_t in_len, exp_len;
} selftest;

/* Next "key=value\n" line: the key must be `key`; value copied to out. */
static int man_line(const char **p, const char *end, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    const char *s = *p;
    if ((size_t)(end - s) <= kl || memcmp(s, key, kl) != 0 || s[kl] != '=') return -1;
    s += kl + 1;
    const char *nl = s;
    while (nl < end && *nl != '\n') nl++;
    if (nl >= end || (size_t)(nl - s) >= cap) return -1;
    memcpy(out, s, (size_t)(nl - s));
    out[nl - s] = 0;
    *p = nl + 1;
    return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
    *v = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || *v > 0xFFFFFFFFull) return -1;
        *v = *v * 10 + (uint64_t)(*s - '0');
    }
    return 0;
}

static int is_hex64(const char *s)
{
    uint8_t tmp[32];
    return mc_hex_decode(s, strlen(s), tmp, 32) == 0;
}

/* The manifest lines in docs/service.md's order; -1 names the bad line. */
static int parse_manifest(const char *text, manifest *m, const char **bad)
{
    const char *p = text, *end = text + strlen(text);
    char num[24];
    *bad = "mote-manifest";
    if (man_line(&p, end, "mote-manifest", num, sizeof num) || strcmp(num, "1")) return -1;
    *bad = "artifact_sha256";
    if (man_line(&p, end, "artifact_sha256", m->sha, sizeof m->sha) || !is_hex64(m->sha)) return -1;
    *bad = "size";
    if (man_line(&p, end, "size", num, sizeof num) || parse_u64(num, &m->size)) return -1;
    *bad = "format";
    if (man_line(&p, end, "format", m->format, sizeof m->format)) return -1;
    *bad = "target";
    if (man_line(&p, end, "target", m->target, sizeof m->target)) return -1;
    *bad = "runtime_abi";
    if (man_line(&p, end, "runtime_abi", num, sizeof num) || parse_u64(num, &m->runtime_abi)) return -1;
    *bad = "model";
    if (man_line(&p, end, "model", m->model, sizeof m->model)) return -1;
    *bad = "version";
    if (man_line(&p, end, "version", m->version, sizeof m->version)) return -1;
    *bad = "selftest_input_sha256";
    if (man_line(&p, end, "selftest_input_sha256", m->in_sha, sizeof m->in_sha) || !is_hex64(m->in_sha)) return -1;
    *bad = "selftest_expected_sha256";
    if (man_line(&p, end, "selftest_expected_sha256", m->exp_sha, sizeof m->exp_sha) || !is_hex64(m->exp_sha))
        return -1;
    *bad = "trailing bytes";
    return p == end ? 0 : -1;
}

/* POST /v1/device/status; output (may be NULL) is base64-encoded. */
static mote_agent_status report(mote_agent *a, const char *state, const char *reason, const uint8_t *output,
                                size_t out_len)
{
    /* without output the body fits `small`: io_buf may still hold the self-test vectors */
    mj_writer w;
    char resp[128];
    if (output) mjw_init(&w, a->cfg.io_buf, a->cfg.io_cap);
    else mjw_init(&w, a->small, sizeof a->small);
    mjw_raw(&w, "{");
    mjw_key(&w, "deployment", 1);
    mjw_u64(&w, (uint64_t)(a->deployment > 0 ? a->deployment : 0));
    mjw_key(&w, "artifact", 0);
    mjw_str(&w, a->artifact_sha);
    mjw_key(&w, "state", 0);
    mjw_str(&w, state);
    if (reason) {
        mjw_key(&w, "reason", 0);
        mjw_str(&w, reason);
    }
    if (output) {
        mjw_key(&w, "output_b64", 0);
        size_t need = mc_b64_encoded_len(out_len) + 3;
        if (w.ok && w.len + need < w.cap) {
            mjw_raw(&w, "\"");
            mc_b64_encode(output, out_len, w.buf + w.len);
            w.len += need - 3;
            mjw_raw(&w, "\"");
        } else {
            w.ok = 0;
        }
    }
    mjw_raw(&w, "}");
    if (mjw_end(&w) != 0) return MOTE_AGENT_ERR_ARG;
    int status = 0;
    mote_agent_status s =
        ag_request(a, "POST", "/v1/device/status", a->rec.credential, w.buf, resp, sizeof resp, NULL, &status);
    if (s == MOTE_AGENT_ERR_PROTO) s = MOTE_AGENT_OK;
    if (s != MOTE_AGENT_OK) return s;
    return status == 204 || status == 200 ? MOTE_AGENT_OK : MOTE_AGENT_ERR_HTTP;
}

/* Reject the update: keep the active model, report failed with the reason. */
static mote_agent_status reject(mote_agent *a, const char *x, const char *y, const char *z)
{
    ag_err(a, x, y, z);
    a->counters.rejects++;
    char reason[sizeof a->last_error];
    memcpy(reason, a->last_error, sizeof reason);
    (void)report(a, "failed", reason, NULL, 0); /* a lost report: the server offers again, we refuse again */
    memcpy(a->last_error, reason, sizeof reason);
    return MOTE_AGENT_REJECTED;
}

/* Run model on the self-test input; 0 when the output matches exactly. */
static int run_selftest(mote_model *m, const selftest *t)
{
    if (ag_io_bytes(m, 0) != t->in_len || ag_io_bytes(m, 1) != t->exp_len) return -1;
    size_t off = 0;
    for (int32_t i = 0; i < m->n_inputs; i++) {
        mote_tensor *x = &m->tensors[m->inputs[i]];
        memcpy(x->data, t->in + off, x->bytes);
        off += x->bytes;
    }
    mote_reset(m);
    mote_invoke(m);
    off = 0;
    for (int32_t i = 0; i < m->n_outputs; i++) {
        const mote_tensor *y = &m->tensors[m->outputs[i]];
        if (memcmp(y->data, t->exp + off, y->bytes) != 0) return -1;
        off += y->bytes;
    }
    mote_reset(m); /* recurrent state must not leak into the first real inference */
    return 0;
}

typedef struct {
    mote_agent *a;
    int slot;
    uint64_t size, offset, saved;
    int restarted; /* server ignored the Range: data starts at 0 */
    int64_t asked_from;
    int failed;
} dl_state;

static int dl_sink(void *user, int status, const uint8_t *p, size_t n)
{
    dl_state *d = (dl_state *)user;
    mote_agent *a = d->a;
    if (status != 200 && status != 206) return 0; /* error body: status tells */
    if (status == 200 && d->asked_from > 0 && !d->restarted) {
        d->restarted = 1;
        d->offset = 0;
    }
    if (d->offset + n > d->size) {
        d->failed = 1;
        return 1;
    }
    if (a->port->slot_write(a->port->ctx, d->slot, (size_t)d->offset, p, n) != 0) {
        d->failed = 2;
        return 1;
    }
    d->offset += n;
    a->counters.bytes_downloaded += n;
    if (d->offset - d->saved >= PROGRESS_SAVE_BYTES) {
        a->rec.dl_offset = (uint32_t)d->offset;
        d->saved = d->offset;
        (void)a->port->record_save(a->port->ctx, &a->rec);
    }
    return 0;
}

/* Bring the artifact into slot: resume or start, then check size and sha256. */
static mote_agent_status download(mote_agent *a, const manifest *m, const char *url, int slot)
{
    dl_state d;
    memset(&d, 0, sizeof d);
    d.a = a;
    d.slot = slot;
    d.size = m->size;
    if (!strcmp(a->rec.dl_sha, m->sha) && a->rec.dl_offset > 0 && a->rec.dl_offset <= m->size) {
        d.offset = d.saved = a->rec.dl_offset;
        a->counters.resumes++;
    } else {
        if (a->port->slot_erase(a->port->ctx, slot, (size_t)m->size) != 0)
            return reject(a, "artifact of ", url, " does not fit the inactive slot");
        a->rec.slot_sha[slot][0] = 0;
        a->rec.slot_size[slot] = 0;
        memcpy(a->rec.dl_sha, m->sha, 65);
        a->rec.dl_offset = 0;
        if (ag_save(a) != MOTE_AGENT_OK) return MOTE_AGENT_ERR_STORAGE;
        a->counters.downloads_started++;
        (void)report(a, "downloading", NULL, NULL, 0);
    }
    if (d.offset < d.size) {
        int status = 0;
        d.asked_from = d.offset > 0 ? (int64_t)d.offset : -1;
        int r = a->port->http(a->port->ctx, "GET", url, a->rec.credential, d.asked_from, NULL, 0, dl_sink, &d,
                              &status);
        a->counters.last_http_status = status;
        a->rec.dl_offset = (uint32_t)d.offset;
        if (d.failed == 2) {
            ag_err(a, "slot write failed during ", url, NULL);
            return MOTE_AGENT_ERR_STORAGE;
        }
        if (d.failed == 1) {
            a->rec.dl_sha[0] = 0;
            a->rec.dl_offset = 0;
            (void)ag_save(a);
            return reject(a, "artifact ", m->sha, ": more bytes than the manifest's size");
        }
        if (r != 0 || status >= 500 || status == 0) {
            (void)ag_save(a); /* resume from here next time */
            ag_err(a, "download of ", url, " interrupted; will resume");
            return MOTE_AGENT_ERR_NET;
        }
        if (status != 200 && status != 206) {
            char code[12];
            mc_u64_str((uint64_t)status, code);
            a->rec.dl_sha[0] = 0;
            a->rec.dl_offset = 0;
            (void)ag_save(a);
            ag_err(a, url, ": HTTP ", code);
            return MOTE_AGENT_ERR_HTTP;
        }
    }
    /* complete: the stored bytes must be exactly the manifest's */
    a->rec.dl_sha[0] = 0;
    a->rec.dl_offset = 0;
    size_t cap = 0;
    const uint8_t *bytes = a->port->slot_map(a->port->ctx, slot, &cap);
    if (d.offset != m->size || !bytes || cap < m->size) {
        (void)ag_save(a);
        return reject(a, "artifact ", m->sha, ": size differs from the manifest");
    }
    char got[65];
    ag_sha256_hex(a, bytes, (size_t)m->size, got);
    if (strcmp(got, m->sha) != 0) {
        (void)ag_save(a);
        return reject(a, "artifact sha256 mismatch: manifest ", m->sha, NULL);
    }
    memcpy(a->rec.slot_sha[slot], m->sha, 65);
    a->rec.slot_size[slot] = (uint32_t)m->size;
    return ag_save(a);
}

/* The update's JSON fields; the self-test vectors are decoded in place. */
static mote_agent_status parse_update(mote_agent *a, char *body, size_t len, uint8_t sig[64], char *url,
                                      size_t url_cap, selftest *t)
{
    mj_span doc = mj_doc(body, len), v, st, in, ex;
    if (mj_get(doc, "deployment", &v) || mj_int(v, &a->deployment)) {
        ag_err(a, "update: field deployment missing or not an integer", NULL, NULL);
        return MOTE_AGENT_ERR_PROTO;
    }
    if (mj_get(doc, "manifest", &v) || mj_string(v, a->manifest, sizeof a->manifest, NULL)) {
        ag_err(a, "update: field manifest missing or too long", NULL, NULL);
        return MOTE_AGENT_ERR_PROTO;
    }
    if (mj_get(doc, "signature", &v) || !mj_is_string(v) || mc_hex_decode(v.p + 1, v.n - 2, sig, 64)) {
        ag_err(a, "update: field signature is not 128 hex digits", NULL, NULL);
        return MOTE_AGENT_ERR_PROTO;
    }
    if (mj_get(doc, "artifact_url", &v) || mj_string(v, url, url_cap, NULL) || url[0] != '/') {
        ag_err(a, "update: field artifact_url missing or not a path", NULL, NULL);
        return MOTE_AGENT_ERR_PROTO;
    }
    if (mj_get(doc, "selftest", &st) || mj_get(st, "input_b64", &in) || mj_get(st, "expected_b64", &ex) ||
        !mj_is_string(in) || !mj_is_string(ex)) {
        ag_err(a, "update: field selftest.input_b64 / expected_b64 missing", NULL, NULL);
        return MOTE_AGENT_ERR_PROTO;
    }
    /* all spans found: now overwrite them in place (unescape, then base64) */
    char *ip = (char *)(uintptr_t)in.p, *ep = (char *)(uintptr_t)ex.p;
    size_t il, el;
    if (mj_string(in, ip, in.n, &il) || mc_b64_decode(ip, il, (uint8_t *)ip, in.n, &t->in_len) ||
        mj_string(ex, ep, ex.n, &el) || mc_b64_decode(ep, el, (uint8_t *)ep, ex.n, &t->exp_len)) {
        ag_err(a, "update: selftest vectors are not valid base64", NULL, NULL);
        return MOTE_AGENT_ERR_PROTO;
    }
    t->in = (const uint8_t *)ip;
    t->exp = (const uint8_t *)ep;
    return MOTE_AGENT_OK;
}

/* Output bytes of the model in arena ar (all outputs, concatenated, must be
 * contiguous to be reported; else output 0 only). */
static void model_output(mote_agent *a, int ar, const uint8_t **p, size_t *n)
{
    const mote_model *m = &a->model[ar];
    const mote_tensor *o = &m->tensors[m->outputs[0]];
    *p = (const uint8_t *)o->data;
    *n = o->bytes;
}

mote_agent_status mote_agent_poll_once(mote_agent *a)
{
    if (!a->rec.device_id[0]) {
        ag_err(a, "poll: not registered", NULL, NULL);
        return MOTE_AGENT_ERR_STATE;
    }
    a->counters.polls++;
    a->last_error[0] = 0;
    char *body = a->cfg.io_buf;
    size_t len = 0;
    int status = 0;
    mote_agent_status s = ag_request(a, "GET", "/v1/device/update", a->rec.credential, NULL, body, a->cfg.io_cap,
                                     &len, &status);
    if (s != MOTE_AGENT_OK) return s;
    if (status == 204) return MOTE_AGENT_IDLE;
    if (status != 200) {
        char code[12];
        mc_u64_str((uint64_t)status, code);
        ag_err(a, "GET /v1/device/update: HTTP ", code, NULL);
        return MOTE_AGENT_ERR_HTTP;
    }
    a->counters.updates_offered++;
    a->artifact_sha[0] = 0;
    uint8_t sig[64];
    char url[160];
    selftest t;
    s = parse_update(a, body, len, sig, url, sizeof url, &t);
    if (s != MOTE_AGENT_OK) return s;

    /* 1. the manifest is the server's */
    const uint8_t *key = a->cfg.trust_key ? a->cfg.trust_key : a->rec.server_key;
    manifest m;
    const char *bad = NULL;
    int parsed = parse_manifest(a->manifest, &m, &bad) == 0;
    if (parsed) memcpy(a->artifact_sha, m.sha, 65);
    if (a->port->ed25519_verify(a->port->ctx, sig, (const uint8_t *)a->manifest, strlen(a->manifest), key) != 0)
        return reject(a, "manifest signature does not verify with the trusted server key", NULL, NULL);
    if (!parsed) return reject(a, "manifest: line ", bad, " missing or malformed");
    /* 2. made for this device */
    if (strcmp(m.format, "mote") != 0) return reject(a, "manifest: format ", m.format, " is not mote");
    if (strcmp(m.target, a->rec.profile) != 0)
        return reject(a, "manifest: target ", m.target, " is not this device's profile");
    if (m.runtime_abi != MOTE_FILE_VERSION) return reject(a, "manifest: runtime_abi differs from this runtime's", NULL, NULL);
    /* 3. the self-test vectors are the signed ones */
    char h[65];
    ag_sha256_hex(a, t.in, t.in_len, h);
    if (strcmp(h, m.in_sha) != 0) return reject(a, "self-test input does not match selftest_input_sha256", NULL, NULL);
    ag_sha256_hex(a, t.exp, t.exp_len, h);
    if (strcmp(h, m.exp_sha) != 0)
        return reject(a, "self-test expected output does not match selftest_expected_sha256", NULL, NULL);

    int act = a->rec.active_slot;
    /* already running it (our confirmation got lost): confirm again */
    if (act >= 0 && !strcmp(a->rec.slot_sha[act], m.sha) && a->active_arena >= 0) {
        mote_model *am = &a->model[a->active_arena];
        if (run_selftest(am, &t) != 0) return reject(a, "self-test of the active artifact failed", NULL, NULL);
        const uint8_t *o;
        size_t on;
        model_output(a, a->active_arena, &o, &on);
        return report(a, "confirmed", NULL, o, on);
    }
    int slot = act == 0 ? 1 : 0;
    /* 4. bytes: the inactive slot may hold it already (a roll-back) */
    if (!strcmp(a->rec.slot_sha[slot], m.sha) && a->rec.slot_size[slot] == m.size) {
        a->counters.switches_without_download++;
    } else {
        s = download(a, &m, url, slot);
        if (s != MOTE_AGENT_OK) return s;
    }
    /* 5. load into the candidate arena and self-test there */
    int cand = a->active_arena == 0 ? 1 : 0;
    s = ag_load_slot(a, slot, cand);
    if (s == MOTE_AGENT_REJECTED) {
        char why[sizeof a->last_error];
        memcpy(why, a->last_error, sizeof why);
        return reject(a, why, NULL, NULL);
    }
    if (s != MOTE_AGENT_OK) return s;
    if (run_selftest(&a->model[cand], &t) != 0) {
        a->arena_loaded[cand] = 0;
        return reject(a, "self-test output differs from the expected output; keeping the active model", NULL,
                      NULL);
    }
    /* 6. switch between two inferences: one pointer, then the record */
    int old_arena = a->active_arena;
    a->active_arena = cand;
    a->rec.active_slot = slot;
    if (ag_save(a) != MOTE_AGENT_OK) {
        a->active_arena = old_arena;
        a->rec.active_slot = act;
        return reject(a, "could not record the new active slot; rolled back", NULL, NULL);
    }
    if (old_arena >= 0) a->arena_loaded[old_arena] = 0;
    a->counters.installs++;
    const uint8_t *o;
    size_t on;
    model_output(a, cand, &o, &on);
    s = report(a, "confirmed", NULL, o, on);
    return s == MOTE_AGENT_ERR_NET ? MOTE_AGENT_OK : s; /* installed; the server re-offers and we re-confirm */
}
