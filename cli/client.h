/* The mote command as a moted client: server address and token, one JSON
 * request, and the common output of the model/device/deploy commands. */
#ifndef MOTE_CLI_CLIENT_H
#define MOTE_CLI_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char url[512];    /* "http://127.0.0.1:8080", no trailing slash */
    char token[160];
    int json;         /* --json: print the server's JSON */
} mote_client;

/* Take --server URL, --token T, --token-file F and --json out of argv (the rest
 * is compacted in place, *argc updated); fall back to $MOTE_SERVER, $MOTE_TOKEN,
 * $MOTE_TOKEN_FILE. -1 with a message (naming the command) if the server or
 * token is missing or an option lacks its value. */
int client_init(mote_client *c, const char *cmd, int *argc, char **argv);

/* One request. body/body_len may be NULL/0. *status gets the HTTP status (0 if
 * the server could not be reached) and *resp the parsed JSON body (NULL when
 * empty or not JSON). 0 when a response arrived, -1 otherwise (message printed). */
int client_request(const mote_client *c, const char *cmd, const char *method, const char *path,
                   const char *body, size_t body_len, long *status, json_t **resp);

/* The same, keeping the raw response body (malloc'ed, NUL-terminated; *len excludes the NUL). */
int client_raw(const mote_client *c, const char *cmd, const char *method, const char *path, const char *body,
               size_t body_len, long *status, uint8_t **data, size_t *len);
/* POST raw bytes of a content type (a dataset tar); the answer as client_request's. */
int client_upload(const mote_client *c, const char *cmd, const char *path, const char *ctype, const void *body,
                  size_t body_len, long *status, json_t **resp);
/* GET path into memory. */
int client_download(const mote_client *c, const char *cmd, const char *path, long *status, uint8_t **data,
                    size_t *len);

/* Print the server's {"error"} (or the status) for a non-2xx answer; returns 1. */
int client_fail(const char *cmd, long status, json_t *resp);

/* Print j indented on stdout; decrefs it; returns 0. */
int client_print_json(json_t *j);

/* Percent-encode one path segment into out; -1 if it does not fit. */
int client_escape(const char *s, char *out, size_t outlen);

#endif
