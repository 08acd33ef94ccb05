/* One subcommand dispatcher for mote model, mote device and mote deploy. */
#include "subcmd.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

static void help(const cli_group *g, FILE *f)
{
    for (size_t i = 0; i < g->n_subs; i++) fprintf(f, "%s mote %s %s\n", i ? "      " : "usage:", g->name, g->subs[i].help);
    fprintf(f, "  each with [--server URL] [--token T | --token-file F] [--json]\n\n%s", g->about);
}

int cli_group_run(const cli_group *g, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help(g, stdout);
        return 0;
    }
    if (argc < 2) {
        help(g, stderr);
        return 2;
    }
    mote_client c;
    if (client_init(&c, g->name, &argc, argv)) return 2;
    if (argc < 2) {
        help(g, stderr);
        return 2;
    }
    for (size_t i = 0; i < g->n_subs; i++) {
        if (strcmp(argv[1], g->subs[i].name) != 0) continue;
        int rc = g->subs[i].fn(&c, argc, argv);
        if (rc != CLI_SUBCMD_USAGE) return rc;
        break;
    }
    fprintf(stderr, "mote %s: unknown subcommand or wrong arguments '%s' (see --help)\n", g->name, argv[1]);
    return 2;
}
