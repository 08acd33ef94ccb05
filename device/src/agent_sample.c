/* Sampling: the server's policy (in its telemetry answers), which inputs to
 * keep (low confidence, or a random share, at most one per gap), and their
 * upload. One input is kept at a time in the caller's sample buffer; a newer
 * one waits until it is sent. */
#include <string.h>

#include "agent_internal.h"

static uint16_t clamp_u16(int64_t v, int64_t max)
{
    return (uint16_t)(v < 0 ? 0 : v > max ? max : v);
}

void ag_sample_policy(mote_agent *a, const char *resp, size_t len)
{
    mj_span doc = mj_doc(resp, len), pol, v;
    mote_agent_sampling p = {0, 0, 0};
    if (len && mj_get(doc, "sampling", &pol) == 0 && pol.n && pol.p[0] == '{') {
        int64_t x;
        if (mj_get(pol, "max_confidence_permille", &v) == 0 && mj_int(v, &x) == 0) p.max_conf_permille = clamp_u16(x, 1000);
        if (mj_get(pol, "random_permille", &v) == 0 && mj_int(v, &x) == 0) p.random_permille = clamp_u16(x, 1000);
        if (mj_get(pol, "max_per_hour", &v) == 0 && mj_int(v, &x) == 0 && x > 0)
            p.min_gap_s = (uint32_t)(3600 / (x > 3600 ? 3600 : x));
    }
    a->sampling = p;
}

static uint32_t next_random(mote_agent *a)
{
    uint32_t x = a->rng ? a->rng : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return a->rng = x;
}

void ag_sample_consider(mote_agent *a, const mote_model *m, const uint8_t *input, size_t input_len, int cls,
                        uint16_t conf_permille, uint64_t now_us)
{
    const mote_agent_sampling *p = &a->sampling;
    if (!p->min_gap_s || a->sample_pending || !a->cfg.sample_buf || cls < 0) return;
    if (a->last_sample_us && now_us - a->last_sample_us < (uint64_t)p->min_gap_s * 1000000u) return;
    int low = conf_permille < p->max_conf_permille;
    if (!low && !(p->random_permille && next_random(a) % 1000u < p->random_permille)) return;
    size_t len = ag_io_bytes(m, 0);
    if (len == 0 || len > a->cfg.sample_cap) return;
    /* from the caller's bytes, as the inputs were filled: the arena's copy may be gone after the invoke */
    size_t take = input ? (input_len < len ? input_len : len) : 0;
    if (take) memcpy(a->cfg.sample_buf, input, take);
    memset(a->cfg.sample_buf + take, 0, len - take);
    a->sample_len = len;
    a->sample_class = cls;
    a->sample_conf = conf_permille;
    a->sample_pending = 1;
    a->last_sample_us = now_us;
    a->counters.samples_taken++;
}

mote_agent_status ag_sample_upload(mote_agent *a)
{
    if (!a->sample_pending) return MOTE_AGENT_OK;
    mj_writer w;
    mjw_init(&w, a->cfg.io_buf, a->cfg.io_cap);
    mjw_raw(&w, "{");
    mjw_key(&w, "artifact", 1);
    mjw_str(&w, mote_agent_active_sha(a));
    mjw_key(&w, "class", 0);
    mjw_u64(&w, (uint64_t)a->sample_class);
    mjw_key(&w, "confidence_permille", 0);
    mjw_u64(&w, a->sample_conf);
    mjw_key(&w, "input_b64", 0);
    mjw_raw(&w, "\"");
    size_t need = mc_b64_encoded_len(a->sample_len);
    if (w.ok && w.len + need + 3 <= w.cap) {
        mc_b64_encode(a->cfg.sample_buf, a->sample_len, w.buf + w.len); /* its NUL is overwritten next */
        w.len += need;
    } else {
        w.ok = 0;
    }
    mjw_raw(&w, "\"}");
    if (mjw_end(&w) != 0) {
        a->sample_pending = 0; /* never fits: drop it rather than retry forever */
        ag_err(a, "sample: the input does not fit the I/O buffer", NULL, NULL);
        return MOTE_AGENT_ERR_ARG;
    }
    int status = 0;
    mote_agent_status s = ag_request(a, "POST", "/v1/device/samples", a->rec.credential, a->cfg.io_buf, a->small,
                                     sizeof a->small, NULL, &status);
    if (s == MOTE_AGENT_ERR_PROTO) s = MOTE_AGENT_OK;
    if (s != MOTE_AGENT_OK) return s; /* kept: sent with the next report */
    a->sample_pending = 0;
    if (status != 201 && status != 200) {
        char code[12];
        mc_u64_str((uint64_t)status, code);
        ag_err(a, "POST /v1/device/samples: HTTP ", code, NULL);
        return MOTE_AGENT_ERR_HTTP;
    }
    a->counters.samples_sent++;
    return MOTE_AGENT_OK;
}
