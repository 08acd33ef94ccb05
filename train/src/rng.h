/* Small seeded PRNGs: splitmix64 (seeding, counter-based hashing) and xoshiro256** (streams). */
#ifndef MOTE_TRAIN_RNG_H
#define MOTE_TRAIN_RNG_H

#include <stdint.h>

typedef struct { uint64_t s[4]; } tr_rng;

/* splitmix64's output function of x (a bijection; good as a counter-based hash). */
static inline uint64_t tr_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Uniform in [0, 1) with 24 random bits. */
static inline float tr_u64_to_unit(uint64_t x) { return (float)(x >> 40) * (1.0f / 16777216.0f); }

void tr_rng_seed(tr_rng *r, uint64_t seed);
uint64_t tr_rng_next(tr_rng *r);
float tr_rng_uniform(tr_rng *r);          /* [0, 1) */
uint32_t tr_rng_below(tr_rng *r, uint32_t n);  /* uniform in [0, n), n > 0, unbiased */
void tr_rng_shuffle(tr_rng *r, int *a, int n);

#endif
