/* The kernel families a test runs its cases for: the reference kernels,
 * the portable optimized ones, the NEON ones (NEON on aarch64, the same
 * packed blocks in scalar C elsewhere) and on x86-64 the x86 ones. */
#ifndef MOTE_TEST_KERNEL_ISAS_H
#define MOTE_TEST_KERNEL_ISAS_H

#include "mote/mote.h"

static const uint32_t kernel_isas[] = {
    MOTE_ISA_REFERENCE, MOTE_ISA_PORTABLE, MOTE_ISA_NEON,
#if defined(__x86_64__)
    MOTE_ISA_X86,
#endif
};
#define N_KERNEL_ISAS (sizeof kernel_isas / sizeof kernel_isas[0])

#endif
