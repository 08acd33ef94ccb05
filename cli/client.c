/* moted client over libcurl: one request at a time, JSON in and out. */
#include "client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int take(int *argc, char **argv, int i, int n)
{
    for (int k = i; k + n < *argc; k++) argv[k] = argv[k + n];
    *argc -= n;
    return 0;
}

static int read_token_file(const char *cmd, const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "mote %s: cannot read token file %s\n", cmd, path);
        return -1;
    }
    size_t n = fread(out, 1, outlen - 1, f);
    fclose(f);
    out[n] = 0;
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' ')) out[--n] = 0;
    if (!n) {
        fprintf(stderr, "mote %s: token file %s is empty\n", cmd, path);
        return -1;
    }
    return 0;
}

static int set_str(const char *cmd, const char *what, char *dst, size_t len, const char *v)
{
    if (strlen(v) >= len) {
        fprintf(stderr, "mote %s: %s is too long\n", cmd, what);
        return -1;
    }
    strcpy(dst, v);
    return 0;
}

int client_init(mote_client *c, const char *cmd, int *argc, char **argv)
{
    memset(c, 0, sizeof *c);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *server = getenv("MOTE_SERVER"), *token = getenv("MOTE_TOKEN"), *token_file = getenv("MOTE_TOKEN_FILE");
    for (int i = 1; i < *argc;) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            c->json = 1;
            take(argc, argv, i, 1);
            continue;
        }
        if (strcmp(a, "--server") && strcmp(a, "--token") && strcmp(a, "--token-file")) {
            i++;
            continue;
        }
        if (i + 1 >= *argc) {
            fprintf(stderr, "mote %s: %s needs a value\n", cmd, a);
            return -1;
        }
        if (!strcmp(a, "--server")) server = argv[i + 1];
        else if (!strcmp(a, "--token")) token = argv[i + 1], token_file = NULL;
        else token_file = argv[i + 1], token = NULL;
        take(argc, argv, i, 2);
    }
    if (!server || !*server) {
        fprintf(stderr, "mote %s: no server: give --server URL or set MOTE_SERVER\n", cmd);
        return -1;
    }
    if (set_str(cmd, "--server", c->url, sizeof c->url, server)) return -1;
    size_t n = strlen(c->url);
    while (n && c->url[n - 1] == '/') c->url[--n] = 0;
    if (token && *token) return set_str(cmd, "--token", c->token, sizeof c->token, token);
    if (token_file) return read_token_file(cmd, token_file, c->token, sizeof c->token);
    fprintf(stderr, "mote %s: no API token: give --token, --token-file or set MOTE_TOKEN (a new server writes "
                    "DATA/admin.token)\n", cmd);
    return -1;
}

typedef struct {
    char *data;
    size_t len;
} buf;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    buf *b = ud;
    size_t add = size * n;
    char *d = realloc(b->data, b->len + add + 1);
    if (!d) return 0;
    memcpy(d + b->len, p, add);
    b->data = d;
    b->len += add;
    d[b->len] = 0;
    return add;
}

/* One request with a body of content type ctype (NULL: JSON). */
static int request(const mote_client *c, const char *cmd, const char *method, const char *path, const char *ctype,
                   const void *body, size_t body_len, long *status, uint8_t **data, size_t *len)
{
    *status = 0;
    *data = NULL;
    *len = 0;
    CURL *h = curl_easy_init();
    if (!h) {
        fprintf(stderr, "mote %s: cannot start an HTTP client\n", cmd);
        return -1;
    }
    char url[1024], auth[200];
    snprintf(url, sizeof url, "%s%s", c->url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
    struct curl_slist *hdr = curl_slist_append(NULL, auth);
    char ct[128];
    snprintf(ct, sizeof ct, "Content-Type: %s", ctype ? ctype : "application/json");
    if (body) hdr = curl_slist_append(hdr, ct);
    buf b = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    CURLcode rc = curl_easy_perform(h);
    int ret = 0;
    if (rc != CURLE_OK) {
        fprintf(stderr, "mote %s: %s %s: %s\n", cmd, method, url, curl_easy_strerror(rc));
        free(b.data);
        ret = -1;
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        *data = (uint8_t *)b.data;
        *len = b.len;
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return ret;
}

int client_raw(const mote_client *c, const char *cmd, const char *method, const char *path, const char *body,
               size_t body_len, long *status, uint8_t **data, size_t *len)
{
    return request(c, cmd, method, path, NULL, body, body_len, status, data, len);
}

int client_upload(const mote_client *c, const char *cmd, const char *path, const char *ctype, const void *body,
                  size_t body_len, long *status, json_t **resp)
{
    uint8_t *data;
    size_t len;
    *resp = NULL;
    if (request(c, cmd, "POST", path, ctype, body, body_len, status, &data, &len)) return -1;
    if (len) *resp = json_loadb((const char *)data, len, 0, NULL);
    free(data);
    return 0;
}

int client_request(const mote_client *c, const char *cmd, const char *method, const char *path, const char *body,
                   size_t body_len, long *status, json_t **resp)
{
    uint8_t *data;
    size_t len;
    *resp = NULL;
    if (client_raw(c, cmd, method, path, body, body_len, status, &data, &len)) return -1;
    if (len) *resp = json_loadb((const char *)data, len, 0, NULL);
    free(data);
    return 0;
}

int client_download(const mote_client *c, const char *cmd, const char *path, long *status, uint8_t **data,
                    size_t *len)
{
    return client_raw(c, cmd, "GET", path, NULL, 0, status, data, len);
}

int client_fail(const char *cmd, long status, json_t *resp)
{
    const char *msg = resp ? json_string_value(json_object_get(resp, "error")) : NULL;
    if (msg) fprintf(stderr, "mote %s: server: %s (HTTP %ld)\n", cmd, msg, status);
    else fprintf(stderr, "mote %s: server answered HTTP %ld\n", cmd, status);
    json_decref(resp);
    return 1;
}

int client_print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    if (!s) return 1;
    puts(s);
    free(s);
    return 0;
}

int client_escape(const char *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == '-' || ch == '_' || ch == '.' || ch == '~';
        if (o + (plain ? 1 : 3) >= outlen) return -1;
        if (plain) out[o++] = (char)ch;
        else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = 0;
    return 0;
}
