/* splitmix64 seeding and xoshiro256** (Blackman and Vigna, public description), written for mote. */
#include "rng.h"

void tr_rng_seed(tr_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        r->s[i] = tr_mix64(x);
        x += 0x9e3779b97f4a7c15ull;
    }
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t tr_rng_next(tr_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

float tr_rng_uniform(tr_rng *r) { return tr_u64_to_unit(tr_rng_next(r)); }

uint32_t tr_rng_below(tr_rng *r, uint32_t n)
{
    /* Rejection on the top 32 bits: accept below the largest multiple of n. */
    uint32_t bound = (uint32_t)(0x100000000ull - 0x100000000ull % n - 1u);
    for (;;) {
        uint32_t x = (uint32_t)(tr_rng_next(r) >> 32);
        if (x <= bound) return x % n;
    }
}

void tr_rng_shuffle(tr_rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)tr_rng_below(r, (uint32_t)i + 1u);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
