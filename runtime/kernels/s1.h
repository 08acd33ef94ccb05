/* Binary weights (MOTE_I1): eight per byte along the flattened tensor,
 * element 8i + j in bit j of byte i; a set bit is +1, a clear bit -1. The
 * per-channel scale alpha makes the real weight +-alpha. */
#ifndef MOTE_S1_H
#define MOTE_S1_H

#include <stddef.h>
#include <stdint.h>

static inline int32_t mote_s1_at(const uint8_t *p, size_t i)
{
    return (int32_t)((p[i >> 3] >> (i & 7u)) & 1u) * 2 - 1;
}

#endif
