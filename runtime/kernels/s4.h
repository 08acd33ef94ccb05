/* int4 weights (MOTE_I4): two per byte along the flattened tensor, element
 * 2i in the low nibble of byte i and 2i + 1 in the high nibble (TFLite's
 * INT4 packing). Values are two's complement, -8..7. */
#ifndef MOTE_S4_H
#define MOTE_S4_H

#include <stddef.h>
#include <stdint.h>

static inline int32_t mote_s4_at(const uint8_t *p, size_t i)
{
    uint32_t v = ((uint32_t)p[i >> 1] >> ((i & 1u) * 4u)) & 15u;
    return (int32_t)(v ^ 8u) - 8; /* sign-extend the nibble */
}

#endif
