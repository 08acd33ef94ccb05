/* Device agent: init, registration, inference statistics, telemetry. */
#include <string.h>

#include "agent_internal.h"
#include "mote/mote_file.h"

const char *mote_agent_status_name(mote_agent_status s)
{
    switch (s) {
    case MOTE_AGENT_OK: return "ok";
    case MOTE_AGENT_IDLE: return "idle";
    case MOTE_AGENT_REJECTED: return "rejected";
    case MOTE_AGENT_ERR_NET: return "network error";
    case MOTE_AGENT_ERR_HTTP: return "unexpected HTTP status";
    case MOTE_AGENT_ERR_PROTO: return "malformed response";
    case MOTE_AGENT_ERR_STORAGE: return "storage error";
    case MOTE_AGENT_ERR_STATE: return "wrong state";
    case MOTE_AGENT_ERR_ARG: return "bad argument";
    }
    return "?";
}

void ag_err(mote_agent *a, const char *x, const char *y, const char *z)
{
    /* built aside: a part may be last_error itself */
    char msg[sizeof a->last_error];
    const char *parts[3] = {x, y, z};
    size_t o = 0;
    for (int i = 0; i < 3; i++)
        for (const char *s = parts[i]; s && *s && o + 1 < sizeof msg; s++) msg[o++] = *s;
    msg[o] = 0;
    memcpy(a->last_error, msg, o + 1);
}

typedef struct {
    char *buf;
    size_t cap, len;
    int overflow;
} collect;

static int collect_sink(void *user, int status, const uint8_t *p, size_t n)
{
    collect *c = (collect *)user;
    (void)status;
    if (c->len + n >= c->cap) {
        c->overflow = 1;
        return 1;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
    return 0;
}

mote_agent_status ag_request(mote_agent *a, const char *method, const char *path, const char *token,
                             const char *body, char *buf, size_t cap, size_t *len, int *status)
{
    collect c = {buf, cap, 0, 0};
    *status = 0;
    int r = a->port->http(a->port->ctx, method, path, token, -1, (const uint8_t *)body, body ? strlen(body) : 0,
                          collect_sink, &c, status);
    a->counters.last_http_status = *status;
    if (cap) buf[c.len < cap ? c.len : cap - 1] = 0;
    if (len) *len = c.len;
    if (c.overflow) {
        ag_err(a, method, " ", path);
        ag_err(a, "response to ", a->last_error, " does not fit the I/O buffer");
        return MOTE_AGENT_ERR_PROTO;
    }
    if (r != 0 || *status >= 500 || *status == 0) {
        char code[12];
        mc_u64_str((uint64_t)(*status > 0 ? *status : 0), code);
        ag_err(a, path, r != 0 ? ": no answer from the server" : ": server error ", r != 0 ? NULL : code);
        return MOTE_AGENT_ERR_NET;
    }
    return MOTE_AGENT_OK;
}

void ag_sha256_hex(mote_agent *a, const uint8_t *p, size_t n, char out[65])
{
    mote_sha256_state st;
    uint8_t d[32];
    a->port->sha256_init(a->port->ctx, &st);
    a->port->sha256_update(a->port->ctx, &st, p, n);
    a->port->sha256_final(a->port->ctx, &st, d);
    mc_hex_encode(d, 32, out);
}

size_t ag_io_bytes(const mote_model *m, int outputs)
{
    size_t t = 0;
    int32_t n = outputs ? m->n_outputs : m->n_inputs;
    const int32_t *idx = outputs ? m->outputs : m->inputs;
    for (int32_t i = 0; i < n; i++) t += m->tensors[idx[i]].bytes;
    return t;
}

mote_agent_status ag_save(mote_agent *a)
{
    if (a->port->record_save(a->port->ctx, &a->rec) != 0) {
        ag_err(a, "persistent record: save failed", NULL, NULL);
        return MOTE_AGENT_ERR_STORAGE;
    }
    return MOTE_AGENT_OK;
}

mote_agent_status ag_load_slot(mote_agent *a, int slot, int ar)
{
    size_t cap = 0;
    const uint8_t *file = a->port->slot_map(a->port->ctx, slot, &cap);
    size_t size = a->rec.slot_size[slot];
    int32_t err_index = -1;
    a->arena_loaded[ar] = 0;
    if (!file || size > cap) {
        ag_err(a, "slot ", slot ? "B" : "A", ": cannot map its bytes");
        return MOTE_AGENT_ERR_STORAGE;
    }
    mote_file_status fs =
        mote_file_load(file, size, a->cfg.arena[ar], a->cfg.arena_bytes[ar], &a->model[ar], &err_index);
    if (fs != MOTE_FILE_OK) {
        ag_err(a, ".mote loader refused the artifact: ", mote_file_status_name(fs), NULL);
        return MOTE_AGENT_REJECTED;
    }
    a->arena_loaded[ar] = 1;
    return MOTE_AGENT_OK;
}

mote_agent_status mote_agent_init(mote_agent *a, const mote_agent_port *port, const mote_agent_config *cfg)
{
    memset(a, 0, sizeof *a);
    a->port = port;
    a->active_arena = -1;
    if (!port || !cfg || !port->http || !port->slot_erase || !port->slot_write || !port->slot_map ||
        !port->record_load || !port->record_save || !port->now_us || !port->sha256_init || !port->sha256_update ||
        !port->sha256_final || !port->ed25519_verify) {
        ag_err(a, "agent port: a function is missing", NULL, NULL);
        return MOTE_AGENT_ERR_ARG;
    }
    a->cfg = *cfg;
    if (!cfg->io_buf || cfg->io_cap < 1024 || !cfg->arena[0] || !cfg->arena[1] || !cfg->facts.core) {
        ag_err(a, "agent config: io_buf (>= 1 KiB), both arenas and facts.core are required", NULL, NULL);
        return MOTE_AGENT_ERR_ARG;
    }
    int r = port->record_load(port->ctx, &a->rec);
    if (r < 0) {
        ag_err(a, "persistent record: load failed", NULL, NULL);
        return MOTE_AGENT_ERR_STORAGE;
    }
    if (r == 1 || a->rec.magic != MOTE_AGENT_RECORD_MAGIC) {
        memset(&a->rec, 0, sizeof a->rec);
        a->rec.magic = MOTE_AGENT_RECORD_MAGIC;
        a->rec.active_slot = -1;
        return MOTE_AGENT_OK;
    }
    /* strings read from storage are terminated before any use */
    a->rec.device_id[sizeof a->rec.device_id - 1] = 0;
    a->rec.credential[sizeof a->rec.credential - 1] = 0;
    a->rec.profile[sizeof a->rec.profile - 1] = 0;
    a->rec.dl_sha[sizeof a->rec.dl_sha - 1] = 0;
    for (int s = 0; s < 2; s++) a->rec.slot_sha[s][sizeof a->rec.slot_sha[s] - 1] = 0;
    int act = a->rec.active_slot;
    if (act == 0 || act == 1) {
        /* the slot is checked again: flash may have changed under us */
        size_t cap = 0;
        const uint8_t *file = port->slot_map(port->ctx, act, &cap);
        char sha[65];
        if (file && a->rec.slot_size[act] <= cap) ag_sha256_hex(a, file, a->rec.slot_size[act], sha);
        if (!file || a->rec.slot_size[act] > cap || strcmp(sha, a->rec.slot_sha[act]) != 0) {
            ag_err(a, "active slot's bytes no longer match their sha256; running without a model", NULL, NULL);
            a->rec.active_slot = -1;
            a->rec.slot_sha[act][0] = 0;
            return ag_save(a);
        }
        if (ag_load_slot(a, act, 0) == MOTE_AGENT_OK) a->active_arena = 0;
        else a->rec.active_slot = -1;
    } else {
        a->rec.active_slot = -1;
    }
    return MOTE_AGENT_OK;
}

static void write_list(mj_writer *w, const char *const *v, int n)
{
    mjw_raw(w, "[");
    for (int i = 0; i < n; i++) {
        if (i) mjw_raw(w, ",");
        mjw_str(w, v[i] ? v[i] : "");
    }
    mjw_raw(w, "]");
}

static int copy_str(mj_span obj, const char *key, char *out, size_t cap)
{
    mj_span v;
    return mj_get(obj, key, &v) == 0 ? mj_string(v, out, cap, NULL) : -1;
}

mote_agent_status mote_agent_register(mote_agent *a, const char *enroll_token)
{
    if (a->rec.device_id[0]) return MOTE_AGENT_OK;
    const mote_agent_config *c = &a->cfg;
    mj_writer w;
    mjw_init(&w, c->io_buf, c->io_cap);
    mjw_raw(&w, "{");
    mjw_key(&w, "name", 1);
    mjw_str(&w, c->name ? c->name : "mote-device");
    if (c->profile) {
        mjw_key(&w, "profile", 0);
        mjw_str(&w, c->profile);
    }
    mjw_key(&w, "tags", 0);
    write_list(&w, c->tags, c->n_tags);
    mjw_key(&w, "facts", 0);
    mjw_raw(&w, "{");
    mjw_key(&w, "core", 1);
    mjw_str(&w, c->facts.core);
    mjw_key(&w, "clock_mhz", 0);
    mjw_u64(&w, c->facts.clock_mhz);
    mjw_key(&w, "ram_kb", 0);
    mjw_u64(&w, c->facts.ram_kb);
    mjw_key(&w, "flash_kb", 0);
    mjw_u64(&w, c->facts.flash_kb);
    mjw_key(&w, "features", 0);
    write_list(&w, c->facts.features, c->facts.n_features);
    mjw_key(&w, "peripherals", 0);
    write_list(&w, c->facts.peripherals, c->facts.n_peripherals);
    mjw_key(&w, "firmware", 0);
    mjw_str(&w, c->facts.firmware ? c->facts.firmware : "mote-agent");
    mjw_key(&w, "runtime_abi", 0);
    mjw_u64(&w, MOTE_FILE_VERSION);
    mjw_key(&w, "formats", 0);
    mjw_raw(&w, "[\"mote\"]}}");
    if (mjw_end(&w) != 0) {
        ag_err(a, "registration request does not fit the I/O buffer", NULL, NULL);
        return MOTE_AGENT_ERR_ARG;
    }
    /* the request body stays in io_buf's front; the answer goes behind it */
    size_t used = w.len + 1, len = 0;
    char *resp = c->io_buf + used;
    int status = 0;
    mote_agent_status s =
        ag_request(a, "POST", "/v1/devices", enroll_token, c->io_buf, resp, c->io_cap - used, &len, &status);
    if (s != MOTE_AGENT_OK) return s;
    if (status != 201 && status != 200) {
        char code[12];
        mc_u64_str((uint64_t)status, code);
        ag_err(a, "POST /v1/devices: HTTP ", code, status == 401 ? " (enrollment token refused)" : NULL);
        return MOTE_AGENT_ERR_HTTP;
    }
    mj_span doc = mj_doc(resp, len), v;
    mote_agent_record r = a->rec;
    if (copy_str(doc, "id", r.device_id, sizeof r.device_id) || copy_str(doc, "credential", r.credential,
                                                                           sizeof r.credential) ||
        copy_str(doc, "profile", r.profile, sizeof r.profile)) {
        ag_err(a, "POST /v1/devices: response lacks id, credential or profile", NULL, NULL);
        return MOTE_AGENT_ERR_PROTO;
    }
    if (mj_get(doc, "server_key", &v) != 0 || !mj_is_string(v) ||
        mc_hex_decode(v.p + 1, v.n - 2, r.server_key, 32) != 0) {
        ag_err(a, "POST /v1/devices: server_key is not 64 hex digits", NULL, NULL);
        return MOTE_AGENT_ERR_PROTO;
    }
    a->rec = r;
    return ag_save(a);
}

const char *mote_agent_active_sha(const mote_agent *a)
{
    return a->rec.active_slot == 0 || a->rec.active_slot == 1 ? a->rec.slot_sha[a->rec.active_slot] : "";
}

static int argmax(const mote_tensor *t)
{
    int64_t n = mote_tensor_elems(t);
    int best = 0;
    if (n <= 0 || !t->data) return -1;
    /* compare as doubles-free integers where possible: int8/uint8/int16/int32, float32 by value */
    for (int64_t i = 1; i < n; i++) {
        int gt = 0;
        switch (t->type) {
        case MOTE_I8: gt = ((const int8_t *)t->data)[i] > ((const int8_t *)t->data)[best]; break;
        case MOTE_U8: gt = ((const uint8_t *)t->data)[i] > ((const uint8_t *)t->data)[best]; break;
        case MOTE_I16: gt = ((const int16_t *)t->data)[i] > ((const int16_t *)t->data)[best]; break;
        case MOTE_I32: gt = ((const int32_t *)t->data)[i] > ((const int32_t *)t->data)[best]; break;
        case MOTE_F32: gt = ((const float *)t->data)[i] > ((const float *)t->data)[best]; break;
        default: return -1;
        }
        if (gt) best = (int)i;
    }
    return best;
}

mote_agent_status mote_agent_infer(mote_agent *a, const uint8_t *input, size_t len, const uint8_t **out,
                                   size_t *out_len, int *cls)
{
    if (a->active_arena < 0) {
        ag_err(a, "infer: no active model", NULL, NULL);
        return MOTE_AGENT_ERR_STATE;
    }
    mote_model *m = &a->model[a->active_arena];
    size_t off = 0;
    for (int32_t i = 0; i < m->n_inputs; i++) {
        mote_tensor *t = &m->tensors[m->inputs[i]];
        size_t take = input && off < len ? (len - off < t->bytes ? len - off : t->bytes) : 0;
        if (take) memcpy(t->data, input + off, take);
        memset((uint8_t *)t->data + take, 0, t->bytes - take);
        off += t->bytes;
    }
    uint64_t t0 = a->port->now_us(a->port->ctx);
    mote_invoke(m);
    uint64_t dt = a->port->now_us(a->port->ctx) - t0;
    const mote_tensor *o = &m->tensors[m->outputs[0]];
    int c = argmax(o);
    uint16_t conf = 0;
    (void)mote_stats_add(&a->window, m, dt, 1, &conf);
    ag_sample_consider(a, m, input, len, c, conf, t0 + dt);
    a->stats.inferences++;
    a->stats.latency_us_sum += dt;
    if (dt > a->stats.latency_us_max) a->stats.latency_us_max = dt;
    if (c >= 0 && c < MOTE_AGENT_MAX_CLASSES) {
        a->stats.histogram[c]++;
        if ((uint32_t)c + 1 > a->stats.n_classes) a->stats.n_classes = (uint32_t)c + 1;
    }
    if (out) *out = (const uint8_t *)o->data;
    if (out_len) *out_len = o->bytes;
    if (cls) *cls = c;
    return MOTE_AGENT_OK;
}

mote_agent_status mote_agent_report_telemetry(mote_agent *a)
{
    if (!a->rec.device_id[0]) {
        ag_err(a, "telemetry: not registered", NULL, NULL);
        return MOTE_AGENT_ERR_STATE;
    }
    const mote_agent_stats *st = &a->stats;
    mj_writer w;
    mjw_init(&w, a->cfg.io_buf, a->cfg.io_cap);
    mjw_raw(&w, "{");
    mjw_key(&w, "inferences", 1);
    mjw_u64(&w, st->inferences);
    mjw_key(&w, "latency_us_mean", 0);
    mjw_u64(&w, st->inferences ? (st->latency_us_sum + st->inferences / 2) / st->inferences : 0);
    mjw_key(&w, "latency_us_max", 0);
    mjw_u64(&w, st->latency_us_max);
    mjw_key(&w, "histogram", 0);
    mjw_raw(&w, "[");
    for (uint32_t i = 0; i < st->n_classes; i++) {
        if (i) mjw_raw(&w, ",");
        mjw_u64(&w, st->histogram[i]);
    }
    mjw_raw(&w, "]");
    /* the window since the last report, for drift monitoring, and which model version it ran */
    mjw_key(&w, "artifact", 0);
    mjw_str(&w, mote_agent_active_sha(a));
    mjw_key(&w, "window", 0);
    if (w.ok && w.len < w.cap) {
        size_t n = mote_stats_json(&a->window, w.buf + w.len, w.cap - w.len);
        if (n == 0) w.ok = 0;
        w.len += n;
    }
    mjw_raw(&w, "}");
    if (mjw_end(&w) != 0) return MOTE_AGENT_ERR_ARG;
    int status = 0;
    mote_agent_status s = ag_request(a, "POST", "/v1/device/telemetry", a->rec.credential, a->cfg.io_buf,
                                     a->small, sizeof a->small, NULL, &status);
    if (s == MOTE_AGENT_ERR_PROTO) s = MOTE_AGENT_OK; /* an over-long error body still carries the status */
    if (s != MOTE_AGENT_OK) return s;
    if (status != 204 && status != 200) {
        char code[12];
        mc_u64_str((uint64_t)status, code);
        ag_err(a, "POST /v1/device/telemetry: HTTP ", code, NULL);
        return MOTE_AGENT_ERR_HTTP;
    }
    mote_stats_reset(&a->window);
    ag_sample_policy(a, a->small, strlen(a->small));
    return ag_sample_upload(a);
}
