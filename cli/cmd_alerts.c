/* mote alerts: the drift monitor's alerts (firing, resolved, or all). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"

static void help(FILE *f)
{
    fprintf(f, "usage: mote alerts [--state firing|resolved] [--server URL] [--token T] [--json]\n\n"
               "Lists moted's drift alerts, newest first: which model version, device group and signal,\n"
               "its value against the threshold, since when (docs/monitoring.md). Exit 0; 1 when the\n"
               "server could not be asked.\n"
               "Server and token also come from $MOTE_SERVER and $MOTE_TOKEN / $MOTE_TOKEN_FILE.\n");
}

int cmd_alerts(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    mote_client c;
    if (client_init(&c, "alerts", &argc, argv) != 0) return 2;
    const char *state = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--state") && i + 1 < argc) state = argv[++i];
        else {
            fprintf(stderr, "mote alerts: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (state && strcmp(state, "firing") && strcmp(state, "resolved")) {
        fprintf(stderr, "mote alerts: --state must be firing or resolved\n");
        return 2;
    }
    char path[64];
    snprintf(path, sizeof path, "/v1/alerts%s%s", state ? "?state=" : "", state ? state : "");
    long st;
    json_t *resp;
    if (client_request(&c, "alerts", "GET", path, NULL, 0, &st, &resp)) return 1;
    if (st != 200) return client_fail("alerts", st, resp);
    if (c.json) return client_print_json(resp);
    json_t *a;
    size_t i;
    printf("%5s %-9s %-24s %-10s %-14s %-15s %9s %9s  %s\n", "id", "state", "model", "version", "group", "signal",
           "value", "threshold", "since");
    json_array_foreach(json_object_get(resp, "alerts"), i, a) {
        printf("%5lld %-9s %-24s %-10s %-14s %-15s %9.4f %9.4g  %s\n",
               (long long)json_integer_value(json_object_get(a, "id")), json_string_value(json_object_get(a, "state")),
               json_string_value(json_object_get(a, "model")), json_string_value(json_object_get(a, "version")),
               json_string_value(json_object_get(a, "group")), json_string_value(json_object_get(a, "signal")),
               json_number_value(json_object_get(a, "value")), json_number_value(json_object_get(a, "threshold")),
               json_string_value(json_object_get(a, "started")));
    }
    json_decref(resp);
    return 0;
}
