/* mote automl submit|status|jobs|cancel|log|report: the search as a job of
 * moted (service/automl/), from this command line. */
#ifndef MOTE_CLI_AUTOML_REMOTE_H
#define MOTE_CLI_AUTOML_REMOTE_H

/* Is name one of the subcommands above? */
int automl_remote_sub(const char *name);
/* Run `mote automl SUB ...` (argv[0] "automl"). */
int cmd_automl_remote(int argc, char **argv);

#endif
