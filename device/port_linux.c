/* Linux port of the device agent (see port_linux.h). */
#define _POSIX_C_SOURCE 200809L
#include "port_linux.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct mote_linux_http {
    CURL *curl;
    char base[512];
};

int mote_linux_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return -1;
    return sodium_init() < 0 ? -1 : 0;
}

mote_linux_http *mote_linux_http_new(const char *base_url)
{
    mote_linux_http *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    size_t n = strlen(base_url);
    while (n && base_url[n - 1] == '/') n--;
    if (n >= sizeof h->base || !(h->curl = curl_easy_init())) {
        free(h);
        return NULL;
    }
    memcpy(h->base, base_url, n);
    h->base[n] = 0;
    return h;
}

void mote_linux_http_free(mote_linux_http *h)
{
    if (!h) return;
    curl_easy_cleanup(h->curl);
    free(h);
}

static uint64_t now_us(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t rng_next(mote_linux_dev *d)
{
    uint64_t x = d->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return d->rng = x;
}

typedef struct {
    mote_linux_dev *d;
    CURL *curl;
    mote_agent_sink sink;
    void *user;
    int64_t cut_at;   /* flaky: stop after this many body bytes; -1 never */
    int64_t seen;
    int flaky_pending;
    int aborted;
} xfer;

static size_t on_body(char *p, size_t size, size_t nmemb, void *userp)
{
    xfer *x = (xfer *)userp;
    size_t n = size * nmemb;
    long code = 0;
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
    if (x->flaky_pending && x->cut_at < 0 && (code == 200 || code == 206)) {
        curl_off_t total = -1;
        curl_easy_getinfo(x->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
        x->cut_at = total > 1 ? (int64_t)(rng_next(x->d) % (uint64_t)total) : 0;
    }
    size_t pass = n;
    if (x->cut_at >= 0 && x->seen + (int64_t)n > x->cut_at) pass = (size_t)(x->cut_at - x->seen);
    if (pass && x->sink(x->user, (int)code, (const uint8_t *)p, pass) != 0) {
        x->aborted = 1;
        return 0;
    }
    x->seen += (int64_t)pass;
    if (pass < n) {
        x->d->cuts++;
        x->aborted = 1;
        return 0; /* curl reports a write error: the transfer is cut here */
    }
    return n;
}

static int http(void *ctx, const char *method, const char *path, const char *auth_token, int64_t range_from,
                const uint8_t *body, size_t body_len, mote_agent_sink on_data, void *user, int *status)
{
    mote_linux_dev *d = (mote_linux_dev *)ctx;
    mote_linux_http *h = d->http;
    char url[1024], hdr[160], range[64];
    struct curl_slist *hl = NULL, *t;
    *status = 0;
    if (!h || snprintf(url, sizeof url, "%s%s", h->base, path) >= (int)sizeof url) return -1;
    CURL *c = h->curl;
    xfer x = {d, c, on_data, user, -1, 0, 0, 0};
    x.flaky_pending = d->flaky_pct && !strcmp(method, "GET") && !strncmp(path, "/v1/artifacts/", 14) &&
                      rng_next(d) % 100 < d->flaky_pct;
    curl_easy_reset(c); /* keeps the connection cache: keep-alive survives */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    if (auth_token) {
        snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", auth_token);
        if ((t = curl_slist_append(hl, hdr))) hl = t;
    }
    if (range_from >= 0) {
        snprintf(range, sizeof range, "Range: bytes=%lld-", (long long)range_from);
        if ((t = curl_slist_append(hl, range))) hl = t;
    }
    if (!strcmp(method, "POST") || !strcmp(method, "PUT")) {
        if ((t = curl_slist_append(hl, "Content-Type: application/json"))) hl = t;
        if ((t = curl_slist_append(hl, "Expect:"))) hl = t;
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        if (strcmp(method, "POST")) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    uint64_t t0 = now_us(NULL);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hl);
    *status = (int)code;
    int ok = rc == CURLE_OK && !x.aborted;
    if (d->hook) d->hook(d->hook_user, method, path, (int)code, ok, now_us(NULL) - t0);
    return ok ? 0 : -1;
}

/* ---- storage ---- */

static int path_of(const mote_linux_dev *d, const char *name, char *out, size_t cap)
{
    return snprintf(out, cap, "%s/%s", d->state_dir, name) < (int)cap ? 0 : -1;
}

static int slot_erase(void *ctx, int slot, size_t bytes)
{
    mote_linux_dev *d = (mote_linux_dev *)ctx;
    if (slot < 0 || slot > 1 || bytes > (64u << 20)) return -1;
    if (bytes > d->slot_cap[slot]) {
        size_t cap = (bytes + 4095) & ~(size_t)4095;
        uint8_t *p = mote_linux_arena(cap);
        if (!p) return -1;
        memset(p, 0xFF, cap);
        free(d->slot[slot]);
        d->slot[slot] = p;
        d->slot_cap[slot] = cap;
    } else if (d->slot[slot]) {
        memset(d->slot[slot], 0xFF, d->slot_cap[slot]); /* as erased flash reads */
    }
    if (d->state_dir[0]) {
        char p[600];
        if (path_of(d, slot ? "slot1.bin" : "slot0.bin", p, sizeof p) || truncate(p, 0) != 0) {
            if (errno != ENOENT) return -1;
        }
    }
    return 0;
}

static int slot_write(void *ctx, int slot, size_t offset, const uint8_t *data, size_t n)
{
    mote_linux_dev *d = (mote_linux_dev *)ctx;
    if (slot < 0 || slot > 1 || offset + n > d->slot_cap[slot]) return -1;
    memcpy(d->slot[slot] + offset, data, n);
    if (d->state_dir[0]) {
        char p[600];
        if (path_of(d, slot ? "slot1.bin" : "slot0.bin", p, sizeof p)) return -1;
        int fd = open(p, O_WRONLY | O_CREAT, 0600);
        if (fd < 0) return -1;
        ssize_t w = pwrite(fd, data, n, (off_t)offset);
        close(fd);
        if (w != (ssize_t)n) return -1;
    }
    return 0;
}

static const uint8_t *slot_map(void *ctx, int slot, size_t *capacity)
{
    mote_linux_dev *d = (mote_linux_dev *)ctx;
    if (slot < 0 || slot > 1) return NULL;
    *capacity = d->slot_cap[slot];
    return d->slot[slot];
}

static int record_load(void *ctx, mote_agent_record *r)
{
    mote_linux_dev *d = (mote_linux_dev *)ctx;
    if (!d->has_rec) return 1;
    *r = d->rec;
    return 0;
}

static int record_save(void *ctx, const mote_agent_record *r)
{
    mote_linux_dev *d = (mote_linux_dev *)ctx;
    d->rec = *r;
    d->has_rec = 1;
    if (!d->state_dir[0]) return 0;
    char p[600], tmp[610];
    if (path_of(d, "record.bin", p, sizeof p)) return -1;
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    FILE *f = fopen(tmp, "wb");
    if (!f) return -1;
    int ok = fwrite(r, sizeof *r, 1, f) == 1;
    ok = fclose(f) == 0 && ok;
    return ok && rename(tmp, p) == 0 ? 0 : -1;
}

/* ---- crypto ---- */

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(mote_sha256_state), "sha256 state too big");

static void sha_init(void *ctx, mote_sha256_state *s)
{
    (void)ctx;
    crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)s);
}
static void sha_update(void *ctx, mote_sha256_state *s, const uint8_t *p, size_t n)
{
    (void)ctx;
    crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)s, p, n);
}
static void sha_final(void *ctx, mote_sha256_state *s, uint8_t out[32])
{
    (void)ctx;
    crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)s, out);
}
static int ed_verify(void *ctx, const uint8_t sig[64], const uint8_t *msg, size_t n, const uint8_t pk[32])
{
    (void)ctx;
    return crypto_sign_verify_detached(sig, msg, n, pk) == 0 ? 0 : -1;
}

void *mote_linux_arena(size_t bytes)
{
    size_t n = (bytes + 15) & ~(size_t)15;
    return aligned_alloc(16, n ? n : 16);
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? 1 : -1;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *p = mote_linux_arena(n ? n : 16);
    if (!p || (n && fread(p, 1, n, f) != n)) {
        free(p);
        fclose(f);
        return -1;
    }
    fclose(f);
    *out = p;
    *len = n;
    return 0;
}

int mote_linux_dev_init(mote_linux_dev *d, mote_agent_port *port, const char *state_dir, uint64_t seed, char *err,
                        size_t errlen)
{
    memset(d, 0, sizeof *d);
    memset(port, 0, sizeof *port);
    d->rng = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (!d->rng) d->rng = 1;
    if (state_dir && *state_dir) {
        if (strlen(state_dir) >= sizeof d->state_dir) {
            snprintf(err, errlen, "%s: state directory path too long", state_dir);
            return -1;
        }
        strcpy(d->state_dir, state_dir);
        if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot create state directory: %s", state_dir, strerror(errno));
            return -1;
        }
        char p[600];
        uint8_t *buf;
        size_t n;
        path_of(d, "record.bin", p, sizeof p);
        int r = read_file(p, &buf, &n);
        if (r < 0) {
            snprintf(err, errlen, "%s: cannot read", p);
            return -1;
        }
        if (r == 0) {
            if (n == sizeof d->rec) {
                memcpy(&d->rec, buf, n);
                d->has_rec = 1;
            }
            free(buf);
        }
        for (int s = 0; s < 2; s++) {
            path_of(d, s ? "slot1.bin" : "slot0.bin", p, sizeof p);
            r = read_file(p, &buf, &n);
            if (r < 0) {
                snprintf(err, errlen, "%s: cannot read", p);
                return -1;
            }
            if (r == 0) {
                d->slot[s] = buf;
                d->slot_cap[s] = n;
            }
        }
    }
    port->ctx = d;
    port->http = http;
    port->slot_erase = slot_erase;
    port->slot_write = slot_write;
    port->slot_map = slot_map;
    port->record_load = record_load;
    port->record_save = record_save;
    port->now_us = now_us;
    port->sha256_init = sha_init;
    port->sha256_update = sha_update;
    port->sha256_final = sha_final;
    port->ed25519_verify = ed_verify;
    return 0;
}

void mote_linux_dev_free(mote_linux_dev *d)
{
    for (int s = 0; s < 2; s++) {
        free(d->slot[s]);
        d->slot[s] = NULL;
        d->slot_cap[s] = 0;
    }
}
