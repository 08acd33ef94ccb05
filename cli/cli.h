/* mote command-line tool: shared helpers and the command entry points. */
#ifndef MOTE_CLI_H
#define MOTE_CLI_H

#include <stddef.h>
#include <stdint.h>

int cmd_inspect(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_targets(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_dataset(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_sampling(int argc, char **argv);
int cmd_samples(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_device_sim(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_automl(int argc, char **argv);

/* --help text of --optimize, for every command that compiles. */
#define MOTE_OPTIMIZE_HELP                                                                                         \
    "  --optimize O    how a layer's fast kernel is traded against arena bytes when its scratch\n"                  \
    "                  raises the arena's peak (the reference kernel needs none):\n"                                \
    "                  speed: the fastest kernel everywhere; memory: the smallest arena;\n"                         \
    "                  balanced (default): a layer takes its reference kernel only where the\n"                     \
    "                  arena share it saves is >= 4x the share of instructions it adds\n"

/* Read a whole file; NULL with a message on stderr. */
uint8_t *cli_read_file(const char *path, size_t *len);
/* Write a whole file; -1 with a message on stderr. */
int cli_write_file(const char *path, const void *data, size_t len);
/* Is argv[i] "--help" or "-h"? */
int cli_wants_help(int argc, char **argv);
/* Parse a positive integer option value; -1 on error. */
long cli_parse_count(const char *opt, const char *s);

#endif
