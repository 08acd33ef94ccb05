/* The subcommand dispatcher of the command groups that talk to moted (mote
 * model, mote device, mote deploy): --help, the client options, finding the
 * subcommand in the group's table and the usage error. */
#ifndef MOTE_CLI_SUBCMD_H
#define MOTE_CLI_SUBCMD_H

#include <stddef.h>

#include "client.h"

/* What a handler returns when the arguments do not fit its subcommand: the
 * dispatcher says so (naming the subcommand) and exits 2. */
#define CLI_SUBCMD_USAGE (-1)

/* A subcommand: c has the server, token and --json (taken out of argv);
 * argv[1] is the subcommand's name, its arguments follow. Returns the exit
 * code or CLI_SUBCMD_USAGE. */
typedef int (*cli_subcmd_fn)(const mote_client *c, int argc, char **argv);

typedef struct {
    const char *name;
    cli_subcmd_fn fn;
    const char *help; /* usage after "mote GROUP ": "show ID" (a '\n' may continue it on an indented line) */
} cli_subcmd;

typedef struct {
    const char *name;       /* "deploy" */
    const cli_subcmd *subs;
    size_t n_subs;
    const char *about;      /* what --help prints after the usage lines */
} cli_group;

/* Run `mote GROUP ...` (argv[0] is the group's name): --help or no
 * subcommand print the usage (exit 0 / 2), a missing server or token exits 2,
 * else the subcommand's exit code. */
int cli_group_run(const cli_group *g, int argc, char **argv);

#endif
