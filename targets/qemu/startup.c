/* startup.c - reset, vector table, stack painting and semihosting for the mote
 * benchmark firmware on QEMU mps2 boards (Cortex-M3 running ARMv6-M code for
 * Cortex-M0+, M4F, M7, M33). Builds for ARMv6-M too. Implements
 * fw_sys.h; the linker scripts (mps2-*.ld + mote-sections.ld) define the symbols. */
#include <stdint.h>

#include "fw_sys.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;
int main(void);

#define STACK_PAINT 0x5AA5C33Cu

/* M-profile semihosting: BKPT 0xAB, operation in r0, argument block in r1. */
static int sh_call(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

enum { SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05, SYS_READ = 0x06,
       SYS_FLEN = 0x0C, SYS_EXIT_EXTENDED = 0x20 };

/* SYS_EXIT_EXTENDED makes QEMU exit with `code` as its own status. */
static void sh_exit(int code) {
    uint32_t blk[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, (uint32_t)code};
    sh_call(SYS_EXIT_EXTENDED, blk);
    for (;;) {
    }
}

static int sh_open(const char *name, uint32_t mode) {
    uint32_t blk[3] = {(uint32_t)(uintptr_t)name, mode, 0};
    while (name[blk[2]]) blk[2]++;
    return sh_call(SYS_OPEN, blk);
}

int fw_open_read(const char *name, long *size) {
    int h = sh_open(name, 1 /* "rb" */);
    if (h < 0) return -1;
    uint32_t blk[1] = {(uint32_t)h};
    *size = sh_call(SYS_FLEN, blk);
    return *size < 0 ? -1 : h;
}

int fw_open_write(const char *name) { return sh_open(name, 5 /* "wb" */); }

/* SYS_READ/SYS_WRITE return the number of bytes NOT transferred. */
int fw_read(int h, void *buf, size_t n) {
    uint32_t blk[3] = {(uint32_t)h, (uint32_t)(uintptr_t)buf, (uint32_t)n};
    return sh_call(SYS_READ, blk) == 0 ? 0 : -1;
}

int fw_write(int h, const void *buf, size_t n) {
    uint32_t blk[3] = {(uint32_t)h, (uint32_t)(uintptr_t)buf, (uint32_t)n};
    return sh_call(SYS_WRITE, blk) == 0 ? 0 : -1;
}

void fw_close(int h) {
    uint32_t blk[1] = {(uint32_t)h};
    sh_call(SYS_CLOSE, blk);
}

void fw_puts(const char *s) { sh_call(SYS_WRITE0, s); }

/* The stack grows down from _estack; reset painted everything below its own
 * frame, so the lowest overwritten word marks the high-water mark. */
size_t fw_stack_used(void) {
    const uint32_t *p = &_sstack;
    while (p < &_estack && *p == STACK_PAINT) p++;
    return (size_t)((const char *)&_estack - (const char *)p);
}

size_t fw_stack_size(void) { return (size_t)((const char *)&_estack - (const char *)&_sstack); }

void Default_Handler(void) { sh_exit(0x7d); }  /* exit 125: unexpected exception */
void HardFault_Handler(void) { sh_exit(0x7e); } /* exit 126; without it a fault is a QEMU lockup (134) */

void Reset_Handler(void) {
#ifdef __ARM_FP /* a core with an FPU; ARMv6-M has no CPACR at all */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: enable the FPU before any FP code */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    uint32_t *s = &_sidata, *d = &_sdata;
    while (d < &_edata) *d++ = *s++;
    for (d = &_sbss; d < &_ebss;) *d++ = 0;
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (d = &_sstack; d < sp - 8;) *d++ = STACK_PAINT; /* keep clear of our own frame */
    sh_exit(main());
}

typedef void (*fw_vector)(void);
__attribute__((section(".vectors"), used)) const fw_vector fw_vectors[16 + 32] = {
    (fw_vector)(uintptr_t)&_estack, Reset_Handler, Default_Handler, HardFault_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0,
    Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
};
