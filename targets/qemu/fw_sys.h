/* Platform layer of the mote benchmark firmware: file I/O, console and stack
 * measurement. startup.c implements it with Arm semihosting on QEMU, fw_host.c
 * with stdio for a native host build; fw_main.c uses only this. */
#ifndef MOTE_FW_SYS_H
#define MOTE_FW_SYS_H

#include <stddef.h>

/* Open a host file for reading; *size gets its length. Handle or -1. */
int fw_open_read(const char *name, long *size);
/* Open (create/truncate) a host file for writing. Handle or -1. */
int fw_open_write(const char *name);
/* Read/write exactly n bytes: 0 on success, -1 on a short transfer. */
int fw_read(int h, void *buf, size_t n);
int fw_write(int h, const void *buf, size_t n);
void fw_close(int h);
/* Write a NUL-terminated string to the console (QEMU: its stderr). */
void fw_puts(const char *s);
/* Bytes of the stack ever used since reset; 0 where not measured (host). */
size_t fw_stack_used(void);
/* Size of the stack section; 0 where not fixed (host). */
size_t fw_stack_size(void);

#endif
