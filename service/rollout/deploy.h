/* The deployment state machine's calls inside rollout/ (deploy.c,
 * deploy_device.c; the rest is in rollout.h), and the helpers of both files.
 * Every change is one store transaction. */
#ifndef MOTED_ROLLOUT_DEPLOY_H
#define MOTED_ROLLOUT_DEPLOY_H

#include <string.h>

#include "rollout/sched.h"

/* Advance one deployment (one transaction); advance every live one. */
int deploy_advance(struct moted_rollout *r, int64_t id);
int deploy_tick(struct moted_rollout *r);
/* A device registered or was tagged: it joins the newest deployment of its groups. */
int deploy_join(struct moted_rollout *r, const char *device, char *err, size_t errlen);

static inline int rollout_is(const char *a, const char *b)
{
    return !strcmp(a, b);
}
/* Run expr (an int: < 0 error) in a transaction of s, result in rc; rolled back on error. */
#define ROLLOUT_TX_WITH(begin, s, rc, expr)             \
    do {                                                 \
        if (begin(s) != 0) return -1;                    \
        (rc) = (expr);                                   \
        if ((rc) < 0) mote_store_rollback(s);            \
        else if (mote_store_commit(s) != 0) (rc) = -1;   \
    } while (0)
#define ROLLOUT_TX(s, rc, expr) ROLLOUT_TX_WITH(mote_store_begin, s, rc, expr)
/* expr only reads */
#define ROLLOUT_READ_TX(s, rc, expr) ROLLOUT_TX_WITH(mote_store_begin_read, s, rc, expr)

#endif
