/* fw_host.c - fw_sys.h for a native host build of the benchmark harness:
 * stdio files relative to the working directory, console on stdout. The stack
 * is not measured on the host (fw_stack_used returns 0). */
#include <stdio.h>

#include "fw_sys.h"

static FILE *files[4];

static int put_file(FILE *f) {
    for (int i = 0; i < 4; i++)
        if (!files[i]) {
            files[i] = f;
            return i;
        }
    fclose(f);
    return -1;
}

int fw_open_read(const char *name, long *size) {
    FILE *f = fopen(name, "rb");
    if (!f) return -1;
    if (fseek(f, 0, SEEK_END) != 0 || (*size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    return put_file(f);
}

int fw_open_write(const char *name) {
    FILE *f = fopen(name, "wb");
    return f ? put_file(f) : -1;
}

int fw_read(int h, void *buf, size_t n) { return fread(buf, 1, n, files[h]) == n ? 0 : -1; }

int fw_write(int h, const void *buf, size_t n) { return fwrite(buf, 1, n, files[h]) == n ? 0 : -1; }

void fw_close(int h) {
    fclose(files[h]);
    files[h] = NULL;
}

void fw_puts(const char *s) {
    fputs(s, stdout);
    fflush(stdout);
}

size_t fw_stack_used(void) { return 0; }

size_t fw_stack_size(void) { return 0; }
