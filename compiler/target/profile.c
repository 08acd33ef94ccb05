/* Device profiles: parse targets/<name>.target files, search the profile
 * directories, and check a model's footprint against a board. */
#include "target/profile.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef MOTE_TARGETS_DIR
#define MOTE_TARGETS_DIR "targets"
#endif

static const char *const core_names[MOTE_CORE_COUNT] = {
    "cortex-m0plus", "cortex-m3", "cortex-m4f", "cortex-m7", "cortex-m33",
    "cortex-m55",    "riscv32imc", "x86_64",    "aarch64",
};

static const char *const feature_names[MOTE_FEAT_COUNT] = {
    "dsp", "fpu", "mve", "simd", "neon", "sse4.1", "avx2", "avx512vnni",
};

enum { K_NAME, K_BOARD, K_CORE, K_FEATURES, K_CLOCK, K_RAM, K_FLASH, K_TOOLCHAIN,
       K_CFLAGS, K_EMULATOR, K_PTR, K_STACK, K_COUNT };

static const struct {
    const char *key;
    int required;
} keys[K_COUNT] = {
    {"name", 1},      {"board", 1},  {"core", 1},     {"features", 0},
    {"clock_mhz", 1}, {"ram_kb", 1}, {"flash_kb", 1}, {"toolchain", 1},
    {"cflags", 0},    {"emulator", 1}, {"ptr_bytes", 1}, {"stack_kb", 0},
};

const char *mote_core_name(mote_core core)
{
    return (unsigned)core < MOTE_CORE_COUNT ? core_names[core] : NULL;
}

const char *mote_feature_name(int bit_index)
{
    return bit_index >= 0 && bit_index < MOTE_FEAT_COUNT ? feature_names[bit_index] : NULL;
}

const char *mote_profile_builtin_dir(void)
{
    return MOTE_TARGETS_DIR;
}

int mote_profile_is_mcu(const mote_profile *p)
{
    return p->core <= MOTE_CORE_CORTEX_M55;
}

int mote_profile_has(const mote_profile *p, const char *feature)
{
    for (int i = 0; i < MOTE_FEAT_COUNT; i++)
        if (!strcmp(feature, feature_names[i])) return (p->features >> i) & 1u;
    return 0;
}

void mote_profile_features_str(const mote_profile *p, char *buf, size_t len)
{
    size_t n = 0;
    if (len) buf[0] = '\0';
    for (int i = 0; i < MOTE_FEAT_COUNT && n < len; i++)
        if ((p->features >> i) & 1u)
            n += (size_t)snprintf(buf + n, len - n, n ? " %s" : "%s", feature_names[i]);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = '\0';
    return s;
}

static int valid_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')) return 0;
    return 1;
}

/* Plain decimal digits only: no sign, no suffix, at most MAX. */
static int parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!*s) return -1;
    unsigned long long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (unsigned long long)(*s - '0');
        if (v > max) return -1;
    }
    *out = v;
    return 0;
}

static int copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

static int parse_features(char *v, unsigned *out, const char **bad)
{
    unsigned bits = 0;
    char *save = NULL;
    for (char *tok = strtok_r(v, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        int i = 0;
        while (i < MOTE_FEAT_COUNT && strcmp(tok, feature_names[i])) i++;
        if (i == MOTE_FEAT_COUNT) {
            *bad = tok;
            return -1;
        }
        bits |= 1u << i;
    }
    *out = bits;
    return 0;
}

/* Store one key's value; a message (without the file:line prefix) on error. */
static int set_key(mote_profile *p, int k, char *v, char *why, size_t whylen)
{
    unsigned long long num = 0;
    const char *bad = NULL;
    switch (k) {
    case K_NAME:
        if (!valid_name(v) || copy_str(p->name, sizeof p->name, v)) {
            set_err(why, whylen, "bad name '%s' (lowercase letters, digits, '-', '_')", v);
            return -1;
        }
        return 0;
    case K_BOARD:
        if (copy_str(p->board, sizeof p->board, v)) break;
        return 0;
    case K_TOOLCHAIN:
        if (copy_str(p->toolchain, sizeof p->toolchain, v)) break;
        return 0;
    case K_CFLAGS:
        if (copy_str(p->cflags, sizeof p->cflags, v)) break;
        return 0;
    case K_EMULATOR:
        if (strcmp(v, "none") && strcmp(v, "native") && strncmp(v, "qemu-", 5)) {
            set_err(why, whylen, "unknown emulator '%s' (none, native or qemu-BINARY[:MACHINE])", v);
            return -1;
        }
        if (copy_str(p->emulator, sizeof p->emulator, v)) break;
        return 0;
    case K_CORE:
        for (int i = 0; i < MOTE_CORE_COUNT; i++)
            if (!strcmp(v, core_names[i])) {
                p->core = (mote_core)i;
                return 0;
            }
        set_err(why, whylen, "unknown core '%s' (known: cortex-m0plus cortex-m3 cortex-m4f cortex-m7 "
                             "cortex-m33 cortex-m55 riscv32imc x86_64 aarch64)", v);
        return -1;
    case K_FEATURES:
        if (parse_features(v, &p->features, &bad) == 0) return 0;
        set_err(why, whylen, "unknown feature '%s' (known: dsp fpu mve simd neon sse4.1 avx2 avx512vnni)",
                bad);
        return -1;
    case K_CLOCK:
        if (parse_num(v, 100000, &num) || num == 0) goto bad_number;
        p->clock_mhz = (unsigned)num;
        return 0;
    case K_RAM:
    case K_FLASH:
    case K_STACK:
        /* Up to 1 TiB in KiB: keeps *1024 far from size_t overflow on 64-bit hosts. */
        if (parse_num(v, 1ull << 30, &num)) goto bad_number;
        *(k == K_RAM ? &p->ram_kb : k == K_FLASH ? &p->flash_kb : &p->stack_kb) = (size_t)num;
        return 0;
    case K_PTR:
        if (parse_num(v, 8, &num) || (num != 4 && num != 8)) {
            set_err(why, whylen, "bad pointer size '%s' (4 or 8)", v);
            return -1;
        }
        p->ptr_bytes = (int)num;
        return 0;
    default:
        break;
    }
    set_err(why, whylen, "value too long (%zu characters)", strlen(v));
    return -1;
bad_number:
    set_err(why, whylen, "bad number '%s' (a plain decimal integer%s)", v, k == K_CLOCK ? " > 0" : "");
    return -1;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Checks across keys, once the whole file is read. */
static int check_profile(const char *path, mote_profile *p, const int *seen, char *err, size_t errlen)
{
    for (int k = 0; k < K_COUNT; k++)
        if (keys[k].required && !seen[k]) {
            set_err(err, errlen, "%s: missing required key '%s'", path, keys[k].key);
            return -1;
        }
    const char *base = base_name(path);
    size_t stem = strlen(base) - (ends_with(base, ".target") ? 7 : 0);
    if (ends_with(base, ".target") && (strlen(p->name) != stem || strncmp(p->name, base, stem))) {
        set_err(err, errlen, "%s: name: '%s' differs from the file name '%.*s'", path, p->name, (int)stem,
                base);
        return -1;
    }
    int want_ptr = p->core == MOTE_CORE_X86_64 || p->core == MOTE_CORE_AARCH64 ? 8 : 4;
    if (p->ptr_bytes != want_ptr) {
        set_err(err, errlen, "%s: ptr_bytes: %d does not match core %s (%d)", path, p->ptr_bytes,
                core_names[p->core], want_ptr);
        return -1;
    }
    /* Microcontrollers keep a few KB for stack and the application; Linux-class
     * devices also run an OS, so they keep far more by default. */
    if (!seen[K_STACK]) p->stack_kb = mote_profile_is_mcu(p) || p->core == MOTE_CORE_RISCV32IMC ? 4 : 65536;
    return 0;
}

int mote_profile_load_file(const char *path, mote_profile *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (copy_str(p->path, sizeof p->path, path)) {
        set_err(err, errlen, "%.100s...: path too long", path);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int seen[K_COUNT] = {0}, line_no = 0, rc = 0;
    char line[1024], why[256];
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line_no++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            set_err(err, errlen, "%s:%d: line longer than %zu characters", path, line_no, sizeof line - 2);
            rc = -1;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = trim(line);
        if (!*s) continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            set_err(err, errlen, "%s:%d: expected 'key = value', got '%s'", path, line_no, s);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        int k = 0;
        while (k < K_COUNT && strcmp(key, keys[k].key)) k++;
        if (k == K_COUNT) {
            set_err(err, errlen, "%s:%d: unknown key '%s'", path, line_no, key);
            rc = -1;
        } else if (seen[k]) {
            set_err(err, errlen, "%s:%d: %s: key given twice", path, line_no, key);
            rc = -1;
        } else if (keys[k].required && !*val) {
            set_err(err, errlen, "%s:%d: %s: empty value", path, line_no, key);
            rc = -1;
        } else if (set_key(p, k, val, why, sizeof why)) {
            set_err(err, errlen, "%s:%d: %s: %s", path, line_no, key, why);
            rc = -1;
        }
        if (rc == 0) seen[k] = 1;
    }
    if (rc == 0 && ferror(f)) {
        set_err(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc ? rc : check_profile(path, p, seen, err, errlen);
}

/* Profile directories in search order: $MOTE_TARGETS_PATH entries, then built-in. */
typedef struct {
    const char *env;
    int builtin_done;
} dir_iter;

static void dir_start(dir_iter *it)
{
    it->env = getenv("MOTE_TARGETS_PATH");
    it->builtin_done = 0;
}

static int dir_next(dir_iter *it, char *buf, size_t len)
{
    while (it->env && *it->env) {
        const char *s = it->env, *colon = strchr(s, ':');
        size_t n = colon ? (size_t)(colon - s) : strlen(s);
        it->env = colon ? colon + 1 : NULL;
        if (n && n < len) {
            memcpy(buf, s, n);
            buf[n] = '\0';
            return 1;
        }
    }
    if (it->builtin_done) return 0;
    it->builtin_done = 1;
    snprintf(buf, len, "%s", MOTE_TARGETS_DIR);
    return 1;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int mote_profile_find(const char *name_or_path, mote_profile *p, char *err, size_t errlen)
{
    if (strchr(name_or_path, '/') || ends_with(name_or_path, ".target"))
        return mote_profile_load_file(name_or_path, p, err, errlen);
    if (!valid_name(name_or_path) || strlen(name_or_path) >= sizeof p->name) {
        set_err(err, errlen, "bad target name '%s' (lowercase letters, digits, '-', '_')", name_or_path);
        return -1;
    }
    dir_iter it;
    char dir[512], path[600];
    dir_start(&it);
    while (dir_next(&it, dir, sizeof dir)) {
        snprintf(path, sizeof path, "%s/%s.target", dir, name_or_path);
        if (is_file(path)) return mote_profile_load_file(path, p, err, errlen);
    }
    set_err(err, errlen, "unknown target '%s': no %s.target in $MOTE_TARGETS_PATH or %s (see 'mote targets')",
            name_or_path, name_or_path, MOTE_TARGETS_DIR);
    return -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const mote_profile *)a)->name, ((const mote_profile *)b)->name);
}

static int listed(const mote_profile *v, size_t n, const char *name, size_t stem)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(v[i].name) == stem && !strncmp(v[i].name, name, stem)) return 1;
    return 0;
}

/* Add every not yet shadowed DIR/NAME.target; a missing directory adds nothing. */
static int list_dir(const char *dir, mote_profile **v, size_t *n, size_t *cap, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, ".target")) continue;
        size_t stem = strlen(e->d_name) - 7;
        if (listed(*v, *n, e->d_name, stem)) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!is_file(path)) continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            mote_profile *nv = realloc(*v, nc * sizeof *nv);
            if (!nv) {
                set_err(err, errlen, "%s: out of memory", dir);
                rc = -1;
                break;
            }
            *v = nv;
            *cap = nc;
        }
        if (mote_profile_load_file(path, &(*v)[*n], err, errlen)) rc = -1;
        else (*n)++;
    }
    closedir(d);
    return rc;
}

int mote_profile_list(mote_profile **out, size_t *n, char *err, size_t errlen)
{
    mote_profile *v = NULL;
    size_t count = 0, cap = 0;
    dir_iter it;
    char dir[512];
    dir_start(&it);
    while (dir_next(&it, dir, sizeof dir))
        if (list_dir(dir, &v, &count, &cap, err, errlen)) {
            free(v);
            *out = NULL;
            *n = 0;
            return -1;
        }
    if (count) qsort(v, count, sizeof *v, by_name);
    *out = v;
    *n = count;
    return 0;
}

/* ---- Fit check ---- */

static size_t sat_add(size_t a, size_t b)
{
    return a > (size_t)-1 - b ? (size_t)-1 : a + b;
}

/* 1234567 -> "1,234,567" into BUF (at least 32 bytes). */
static const char *commas(size_t v, char *buf)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%zu", v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

static void append(char *msg, size_t len, size_t *pos, const char *fmt, ...)
{
    if (!msg || *pos >= len) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(msg + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (w > 0) *pos += (size_t)w;
}

static int percent(size_t used, size_t cap)
{
    return (int)((double)used * 100.0 / (double)cap + 0.5);
}

int mote_profile_fit(const mote_profile *p, const mote_footprint *f, char *msg, size_t msglen)
{
    size_t stack = f->stack_bytes ? f->stack_bytes : p->stack_kb * 1024;
    size_t runtime = sat_add(f->static_ram_bytes, stack);
    size_t ram = sat_add(f->arena_bytes, runtime), ram_cap = p->ram_kb * 1024;
    size_t flash = sat_add(f->weights_bytes, f->code_bytes), flash_cap = p->flash_kb * 1024;
    int ram_ok = !p->ram_kb || ram <= ram_cap, flash_ok = !p->flash_kb || flash <= flash_cap;
    char a[32], b[32], c[32], d[32], e[32], g[32];
    size_t pos = 0;
    if (msg && msglen) msg[0] = '\0';
    if (!ram_ok)
        append(msg, msglen, &pos, "RAM overflow by %s bytes: arena %s + runtime RAM %s (static %s + stack %s) "
               "> %s bytes of RAM on %s", commas(ram - ram_cap, a), commas(f->arena_bytes, b),
               commas(runtime, c), commas(f->static_ram_bytes, d), commas(stack, e), commas(ram_cap, g),
               p->name);
    if (!flash_ok)
        append(msg, msglen, &pos, "%sflash overflow by %s bytes: weights %s + code %s > %s bytes of flash on %s",
               ram_ok ? "" : "; ", commas(flash - flash_cap, a), commas(f->weights_bytes, b),
               commas(f->code_bytes, c), commas(flash_cap, d), p->name);
    if (!ram_ok || !flash_ok) return 0;
    append(msg, msglen, &pos, "fits %s: ", p->name);
    if (p->ram_kb)
        append(msg, msglen, &pos, "RAM %s of %s bytes (%d%%, %s free)", commas(ram, a), commas(ram_cap, b),
               percent(ram, ram_cap), commas(ram_cap - ram, c));
    else
        append(msg, msglen, &pos, "RAM %s bytes (not limited)", commas(ram, a));
    if (p->flash_kb)
        append(msg, msglen, &pos, ", flash %s of %s bytes (%d%%, %s free)", commas(flash, a),
               commas(flash_cap, b), percent(flash, flash_cap), commas(flash_cap - flash, c));
    else
        append(msg, msglen, &pos, ", flash %s bytes (not limited)", commas(flash, a));
    return 1;
}
