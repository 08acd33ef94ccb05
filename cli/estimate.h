/* A model file's cost on a device without running it: the compile job's fit verdict and flash, and the
 * cost model's latency (what `mote inspect --target` prints), for commands that compare candidates. */
#ifndef MOTE_CLI_ESTIMATE_H
#define MOTE_CLI_ESTIMATE_H

#include <stddef.h>

typedef struct {
    double ms;          /* estimated per inference (< 0: no cost model for the core) */
    double flash;       /* weights + code bytes of the format that fits (C package first) */
    double ram;         /* arena + static RAM + stack */
    int fits;
} cli_estimate_t;

/* 0, or -1 with err. */
int cli_estimate(const char *model_path, const char *target, cli_estimate_t *e, char *err, size_t errlen);

#endif
