/* Reads what the firmware runner needs from an ELF file: section sizes,
 * loadable bytes (the flash image) and symbol values. Little-endian ELF32
 * (Arm firmware) and ELF64 (host executables). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_util.h"

typedef struct {
    unsigned char *b;
    size_t n;
    int is64;
} elf_file;

static uint64_t rd(const elf_file *f, size_t off, int bytes) {
    uint64_t v = 0;
    if (off + (size_t)bytes > f->n) return 0;
    for (int i = bytes - 1; i >= 0; i--) v = v << 8 | f->b[off + (size_t)i];
    return v;
}

static int elf_load(const char *path, elf_file *f) {
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    long len = (fseek(fp, 0, SEEK_END) == 0) ? ftell(fp) : -1;
    if (len < 64 || fseek(fp, 0, SEEK_SET) != 0 || !(f->b = malloc((size_t)len)) ||
        fread(f->b, 1, (size_t)len, fp) != (size_t)len) {
        fclose(fp);
        free(f->b);
        f->b = NULL;
        return -1;
    }
    fclose(fp);
    f->n = (size_t)len;
    if (memcmp(f->b, "\177ELF", 4) != 0 || f->b[5] != 1 /* little-endian */ || (f->b[4] != 1 && f->b[4] != 2)) {
        free(f->b);
        f->b = NULL;
        return -1;
    }
    f->is64 = f->b[4] == 2;
    return 0;
}

/* Section header k: name offset, type, size, offset, link, entsize. */
typedef struct {
    uint32_t name, type, link;
    uint64_t off, size, entsize;
} shdr;

static size_t sh_count(const elf_file *f) { return (size_t)rd(f, f->is64 ? 60 : 48, 2); }

static shdr sh_get(const elf_file *f, size_t k) {
    size_t base = (size_t)rd(f, f->is64 ? 40 : 32, f->is64 ? 8 : 4) + k * (size_t)rd(f, f->is64 ? 58 : 46, 2);
    shdr s;
    s.name = (uint32_t)rd(f, base, 4);
    s.type = (uint32_t)rd(f, base + 4, 4);
    if (f->is64) {
        s.off = rd(f, base + 24, 8), s.size = rd(f, base + 32, 8);
        s.link = (uint32_t)rd(f, base + 40, 4), s.entsize = rd(f, base + 56, 8);
    } else {
        s.off = rd(f, base + 16, 4), s.size = rd(f, base + 20, 4);
        s.link = (uint32_t)rd(f, base + 24, 4), s.entsize = rd(f, base + 36, 4);
    }
    return s;
}

static const char *str_at(const elf_file *f, const shdr *tab, uint32_t off) {
    if (tab->off + off >= f->n || off >= tab->size) return "";
    const char *s = (const char *)f->b + tab->off + off;
    return memchr(s, 0, f->n - (size_t)(tab->off + off)) ? s : "";
}

int fw_elf_read_sizes(const char *path, fw_elf_sizes *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    elf_file f;
    if (elf_load(path, &f) != 0) {
        snprintf(err, errlen, "%s: cannot read as a little-endian ELF file", path);
        return -1;
    }
    size_t phoff = (size_t)rd(&f, f.is64 ? 32 : 28, f.is64 ? 8 : 4);
    size_t phent = (size_t)rd(&f, f.is64 ? 54 : 42, 2), phnum = (size_t)rd(&f, f.is64 ? 56 : 44, 2);
    for (size_t i = 0; i < phnum; i++) {
        size_t p = phoff + i * phent;
        if (rd(&f, p, 4) == 1 /* PT_LOAD */) out->load_bytes += (size_t)rd(&f, p + (f.is64 ? 32 : 16), f.is64 ? 8 : 4);
    }
    size_t shn = sh_count(&f), shstrndx = (size_t)rd(&f, f.is64 ? 62 : 50, 2);
    shdr names = sh_get(&f, shstrndx < shn ? shstrndx : 0);
    for (size_t k = 0; k < shn; k++) {
        shdr s = sh_get(&f, k);
        const char *nm = str_at(&f, &names, s.name);
        if (!strcmp(nm, ".text")) out->text = (size_t)s.size;
        else if (!strcmp(nm, ".rodata")) out->rodata = (size_t)s.size;
        else if (!strcmp(nm, ".data")) out->data = (size_t)s.size;
        else if (!strcmp(nm, ".bss")) out->bss = (size_t)s.size;
    }
    free(f.b);
    return 0;
}

int fw_elf_symbol(const char *path, const char *name, uint64_t *value) {
    elf_file f;
    if (elf_load(path, &f) != 0) return -1;
    int rc = -1;
    size_t shn = sh_count(&f);
    for (size_t k = 0; k < shn && rc != 0; k++) {
        shdr s = sh_get(&f, k);
        if (s.type != 2 /* SHT_SYMTAB */ || s.link >= shn || s.entsize == 0) continue;
        shdr strs = sh_get(&f, s.link);
        for (uint64_t i = 1; i < s.size / s.entsize; i++) {
            size_t e = (size_t)(s.off + i * s.entsize);
            if (!strcmp(str_at(&f, &strs, (uint32_t)rd(&f, e, 4)), name)) {
                *value = rd(&f, e + (f.is64 ? 8 : 4), f.is64 ? 8 : 4);
                rc = 0;
                break;
            }
        }
    }
    free(f.b);
    return rc;
}
