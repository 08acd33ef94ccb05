/* Target profiles as compile jobs record them (profile.c; choosing one for a
 * device is in rollout.h): the fields a compile depends on, as text. */
#ifndef MOTED_ROLLOUT_PROFILE_H
#define MOTED_ROLLOUT_PROFILE_H

#include <stddef.h>

#include "target/profile.h"

/* The profile's fields that a compile depends on, as compact JSON with sorted keys; -1 if it does not fit. */
int rollout_profile_json(const mote_profile *p, char *out, size_t len);
int rollout_profile_from_json(const char *json, mote_profile *p, char *err, size_t errlen);

#endif
