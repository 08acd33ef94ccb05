/* Compile jobs inside rollout/ (jobs.c; submitting and describing a job are
 * in rollout.h): what a worker runs. */
#ifndef MOTED_ROLLOUT_JOBS_H
#define MOTED_ROLLOUT_JOBS_H

#include "rollout/sched.h"

/* Run the oldest queued job: 0 ran one, 1 none queued, -1 storage error. */
int compile_run_next(struct moted_rollout *r);

#endif
