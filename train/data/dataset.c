/* The dataset container: examples, name tables, counts, and the small helpers the readers share. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* Open-addressing hash of names to indices, for labels and groups. */
typedef struct {
    int32_t *slot;    /* index + 1, 0 = empty */
    size_t n_slots;
} name_hash;

typedef struct {
    name_hash labels, groups;
    int cap_labels, cap_groups, cap_sources;
} ds_index;

int ds__err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        for (char *p = err; *p; p++)    /* one line, whatever a file name holds */
            if (*p == '\n' || *p == '\r') *p = ' ';
    }
    return -1;
}

char *ds__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* The index of name in names[0..n) through h, or -(insert slot)-1 when absent. */
static long hash_find(const name_hash *h, char *const *names, const char *name)
{
    size_t mask = h->n_slots - 1, i = (size_t)hash_str(name) & mask;
    for (;; i = (i + 1) & mask) {
        int32_t v = h->slot[i];
        if (!v) return -(long)i - 1;
        if (names[v - 1] && !strcmp(names[v - 1], name)) return v - 1;
    }
}

static int hash_grow(name_hash *h, char *const *names, int n)
{
    size_t want = 16;
    while (want < (size_t)n * 2 + 2) want *= 2;
    if (want <= h->n_slots) return 0;
    int32_t *slot = calloc(want, sizeof *slot);
    if (!slot) return -1;
    free(h->slot);
    h->slot = slot;
    h->n_slots = want;
    for (int k = 0; k < n; k++) {
        if (!names[k]) continue;
        long at = hash_find(h, names, names[k]);
        if (at < 0) h->slot[-at - 1] = k + 1;
    }
    return 0;
}

static int32_t name_add(name_hash *h, char ***names, int *n, int *cap, const char *name, bool find_only)
{
    if (name) {
        if (h->n_slots) {
            long at = hash_find(h, *names, name);
            if (at >= 0) return (int32_t)at;
        }
        if (find_only) return -1;
    }
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        char **nn = realloc(*names, (size_t)nc * sizeof *nn);
        if (!nn) return -1;
        *names = nn;
        *cap = nc;
    }
    char *copy = NULL;
    if (name && !(copy = ds__strdup(name))) return -1;
    (*names)[*n] = copy;
    (*n)++;
    if (hash_grow(h, *names, *n)) return -1;
    if (name) {
        long at = hash_find(h, *names, name);
        if (at < 0) h->slot[-at - 1] = *n;
    }
    return *n - 1;
}

ds_dataset *ds__new(ds_kind kind)
{
    ds_dataset *ds = calloc(1, sizeof *ds);
    ds_index *ix = calloc(1, sizeof *ix);
    if (!ds || !ix) {
        free(ds);
        free(ix);
        return NULL;
    }
    ds->kind = kind;
    ds->index_ = ix;
    return ds;
}

void ds__shape(ds_dataset *ds, int rank, int d0, int d1, int d2)
{
    ds->rank = rank;
    ds->dims[0] = d0;
    ds->dims[1] = rank > 1 ? d1 : 0;
    ds->dims[2] = rank > 2 ? d2 : 0;
    ds->example_size = (size_t)d0 * (size_t)(rank > 1 ? d1 : 1) * (size_t)(rank > 2 ? d2 : 1);
}

float *ds__add(ds_dataset *ds, int32_t label, int32_t group, uint8_t split, int32_t source, int32_t offset)
{
    if (ds->n == ds->cap_) {
        size_t nc = ds->cap_ ? ds->cap_ * 2 : 256;
        if (ds->example_size && nc > SIZE_MAX / sizeof(float) / ds->example_size) return NULL;
        float *x = realloc(ds->x, nc * ds->example_size * sizeof *x);
        if (!x) return NULL;
        ds->x = x;
        int32_t *l = realloc(ds->label, nc * sizeof *l);
        if (l) ds->label = l;
        int32_t *g = realloc(ds->group, nc * sizeof *g);
        if (g) ds->group = g;
        uint8_t *s = realloc(ds->split, nc);
        if (s) ds->split = s;
        int32_t *so = realloc(ds->source, nc * sizeof *so);
        if (so) ds->source = so;
        int32_t *of = realloc(ds->offset, nc * sizeof *of);
        if (of) ds->offset = of;
        if (!l || !g || !s || !so || !of) return NULL;
        ds->cap_ = nc;
    }
    size_t i = ds->n++;
    ds->label[i] = label;
    ds->group[i] = group;
    ds->split[i] = split;
    ds->source[i] = source;
    ds->offset[i] = offset;
    float *x = ds->x + i * ds->example_size;
    memset(x, 0, ds->example_size * sizeof *x);
    return x;
}

void ds__drop_last(ds_dataset *ds)
{
    if (ds->n) ds->n--;
}

int32_t ds__label(ds_dataset *ds, const char *name)
{
    ds_index *ix = ds->index_;
    return name_add(&ix->labels, &ds->label_names, &ds->n_labels, &ix->cap_labels, name, false);
}

int32_t ds__label_find(const ds_dataset *ds, const char *name)
{
    ds_index *ix = ds->index_;
    if (!ix->labels.n_slots) return -1;
    long at = hash_find(&ix->labels, ds->label_names, name);
    return at >= 0 ? (int32_t)at : -1;
}

int32_t ds__group(ds_dataset *ds, const char *name)
{
    ds_index *ix = ds->index_;
    return name_add(&ix->groups, &ds->group_names, &ds->n_groups, &ix->cap_groups, name, false);
}

int32_t ds__source(ds_dataset *ds, const char *path)
{
    ds_index *ix = ds->index_;
    if (ds->n_sources == ix->cap_sources) {
        int nc = ix->cap_sources ? ix->cap_sources * 2 : 64;
        char **ns = realloc(ds->sources, (size_t)nc * sizeof *ns);
        if (!ns) return -1;
        ds->sources = ns;
        ix->cap_sources = nc;
    }
    if (!(ds->sources[ds->n_sources] = ds__strdup(path))) return -1;
    return ds->n_sources++;
}

int ds__relabel(ds_dataset *ds, const int32_t *perm)
{
    char **names = malloc((size_t)ds->n_labels * sizeof *names);
    if (!names) return -1;
    for (int k = 0; k < ds->n_labels; k++) names[perm[k]] = ds->label_names[k];
    memcpy(ds->label_names, names, (size_t)ds->n_labels * sizeof *names);
    free(names);
    for (size_t i = 0; i < ds->n; i++) ds->label[i] = perm[ds->label[i]];
    ds_index *ix = ds->index_;
    memset(ix->labels.slot, 0, ix->labels.n_slots * sizeof *ix->labels.slot);
    for (int k = 0; k < ds->n_labels; k++) {
        long at = hash_find(&ix->labels, ds->label_names, ds->label_names[k]);
        if (at < 0) ix->labels.slot[-at - 1] = k + 1;
    }
    return 0;
}

int ds__fixed_labels(ds_dataset *ds, const ds_options *opt, char *err, size_t errlen)
{
    if (!opt || !opt->labels) return 0;
    const char *p = opt->labels;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char name[256];
        if (len == 0 || len >= sizeof name)
            return ds__err(err, errlen, "labels '%s': empty or over-long label name", opt->labels);
        memcpy(name, p, len);
        name[len] = 0;
        if (ds__label_find(ds, name) >= 0)
            return ds__err(err, errlen, "labels '%s': label '%s' given twice", opt->labels, name);
        if (ds__label(ds, name) < 0) return ds__err(err, errlen, "out of memory");
        p += len + (e ? 1 : 0);
    }
    return 0;
}

int ds__parse_split(const char *s)
{
    static const struct { const char *name; int split; } names[] = {
        {"train", DS_TRAIN}, {"training", DS_TRAIN},
        {"validation", DS_VALIDATION}, {"valid", DS_VALIDATION}, {"val", DS_VALIDATION},
        {"dev", DS_VALIDATION}, {"test", DS_TEST}, {"testing", DS_TEST}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const char *a = names[k].name, *b = s;
        while (*a && (*b | 32) == *a) a++, b++;
        if (!*a && !*b) return names[k].split;
    }
    return -1;
}

void ds_free(ds_dataset *ds)
{
    if (!ds) return;
    ds_index *ix = ds->index_;
    if (ix) {
        free(ix->labels.slot);
        free(ix->groups.slot);
        free(ix);
    }
    for (int k = 0; k < ds->n_labels; k++) free(ds->label_names[k]);
    for (int k = 0; k < ds->n_groups; k++) free(ds->group_names[k]);
    for (int k = 0; k < ds->n_sources; k++) free(ds->sources[k]);
    free(ds->label_names);
    free(ds->group_names);
    free(ds->sources);
    free(ds->x);
    free(ds->label);
    free(ds->group);
    free(ds->split);
    free(ds->source);
    free(ds->offset);
    free(ds);
}

size_t ds_count(const ds_dataset *ds, int split, int label)
{
    size_t c = 0;
    for (size_t i = 0; i < ds->n; i++)
        c += (split < 0 || ds->split[i] == split) && (label < 0 || ds->label[i] == label);
    return c;
}

size_t ds_indices(const ds_dataset *ds, int split, size_t *idx)
{
    size_t c = 0;
    for (size_t i = 0; i < ds->n; i++)
        if (split < 0 || ds->split[i] == split) idx[c++] = i;
    return c;
}

int ds_label_index(const ds_dataset *ds, const char *name)
{
    return ds__label_find(ds, name);
}

size_t ds_group_leaks(const ds_dataset *ds)
{
    uint8_t *seen = calloc((size_t)ds->n_groups + 1, 1);
    if (!seen) return (size_t)-1;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->group[i] >= 0 && ds->group[i] < ds->n_groups && ds->split[i] < DS_N_SPLITS)
            seen[ds->group[i]] |= (uint8_t)(1u << ds->split[i]);
    size_t leaks = 0;
    for (int g = 0; g < ds->n_groups; g++) leaks += (seen[g] & (seen[g] - 1)) != 0;
    free(seen);
    return leaks;
}

const char *ds_split_name(int split)
{
    switch (split) {
    case DS_TRAIN: return "train";
    case DS_VALIDATION: return "validation";
    case DS_TEST: return "test";
    default: return "?";
    }
}

const char *ds_kind_name(ds_kind kind)
{
    switch (kind) {
    case DS_AUDIO: return "audio";
    case DS_MOTION: return "motion";
    case DS_IMAGE: return "image";
    case DS_TABLE: return "table";
    default: return "auto";
    }
}

bool ds__is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool ds__is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool ds__ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    if (b > a) return false;
    for (size_t k = 0; k < b; k++)
        if ((s[a - b + k] | 32) != (suffix[k] | 32)) return false;
    return true;
}

char *ds__join(const char *dir, const char *name)
{
    if (name[0] == '/' || !dir || !dir[0]) return ds__strdup(name);
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/') p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

char *ds__dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return ds__strdup(".");
    if (slash == path) return ds__strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, path, n);
    d[n] = 0;
    return d;
}

ds_kind ds__kind_of(const char *name)
{
    if (ds__ends_with(name, ".wav")) return DS_AUDIO;
    if (ds__ends_with(name, ".csv") || ds__ends_with(name, ".csv.gz")) return DS_MOTION;
    if (ds__ends_with(name, ".png") || ds__ends_with(name, ".raw") || ds__ends_with(name, ".u8"))
        return DS_IMAGE;
    return DS_KIND_AUTO;
}
