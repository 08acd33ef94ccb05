/* Layouts: a CSV manifest (file, label[, group][, split] columns), a folder per class, and ds_load, which
 * tells the layout of a path. The column rules are in dataset.h and docs/datasets.md. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool same_name(const char *a, const char *b)   /* ASCII case-insensitive */
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a, y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y) return false;
    }
    return *a == *b;
}

static int find_column(char **cols, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (same_name(cols[k], name)) return k;
    return -1;
}

/* The kind of one data file: its extension's, which must agree with a kind asked for. */
static int file_kind(const char *name, ds_kind want, ds_kind *kind, char *err, size_t errlen, const char *where)
{
    ds_kind k = ds__kind_of(name);
    if (want != DS_KIND_AUTO) {
        if (k != DS_KIND_AUTO && k != want && !(want == DS_TABLE && k == DS_MOTION))
            return ds__err(err, errlen, "%s: '%s' is %s data by its name, not %s", where, name, ds_kind_name(k),
                           ds_kind_name(want));
        if (k == DS_KIND_AUTO && want != DS_IMAGE)
            return ds__err(err, errlen, "%s: '%s' has no %s file extension", where, name, ds_kind_name(want));
        *kind = want == DS_TABLE ? DS_MOTION : want;
        return 0;
    }
    if (k == DS_KIND_AUTO)
        return ds__err(err, errlen, "%s: cannot tell what '%s' holds by its extension (.wav, .csv, .png, .raw)",
                       where, name);
    *kind = k;
    return 0;
}

static int load_one(ds_dataset *ds, ds_kind kind, const char *path, const ds_options *opt, int32_t label,
                    int32_t group, uint8_t split, char *err, size_t errlen)
{
    if (ds->kind == DS_KIND_AUTO) ds->kind = kind;
    switch (kind) {
    case DS_AUDIO: return ds__wav_example(ds, path, opt, label, group, split, err, errlen);
    case DS_IMAGE: return ds__image_example(ds, path, opt, label, group, split, err, errlen);
    default: return ds__motion_file(ds, path, opt, label, group, split, err, errlen);
    }
}

/* Appends " (where)" to an error a reader wrote, if there is room. */
static void add_context(char *err, size_t errlen, const char *where)
{
    size_t n = err ? strlen(err) : 0;
    if (err && n + strlen(where) + 4 < errlen) snprintf(err + n, errlen - n, " (%s)", where);
}

typedef struct {
    int file, label, group, split;
} columns;

static int pick_columns(ds_csv *c, char **cols, int n, const ds_options *opt, columns *k, char *err, size_t errlen)
{
    const char *path = ds__csv_path(c);
    const char *fc = opt->file_column ? opt->file_column : "file";
    if ((k->file = find_column(cols, n, fc)) < 0)
        return ds__err(err, errlen, "%s:1: no column '%s' in the header", path, fc);
    if (opt->label_column) {
        if ((k->label = find_column(cols, n, opt->label_column)) < 0)
            return ds__err(err, errlen, "%s:1: no label column '%s' in the header", path, opt->label_column);
    } else if ((k->label = find_column(cols, n, "label")) < 0) {
        if (k->file + 1 >= n)
            return ds__err(err, errlen, "%s:1: no label column: no 'label' and nothing after '%s'", path, fc);
        k->label = k->file + 1;
    }
    k->group = -1;
    if (opt->group_column && opt->group_column[0]) {
        if ((k->group = find_column(cols, n, opt->group_column)) < 0)
            return ds__err(err, errlen, "%s:1: no group column '%s' in the header", path, opt->group_column);
    } else if (!opt->group_column) {
        static const char *const names[] = {"group", "speaker", "recording", "subject", "session", "user"};
        for (size_t j = 0; j < sizeof names / sizeof names[0] && k->group < 0; j++)
            k->group = find_column(cols, n, names[j]);
    }
    k->split = -1;
    if (opt->split_column && opt->split_column[0]) {
        if ((k->split = find_column(cols, n, opt->split_column)) < 0)
            return ds__err(err, errlen, "%s:1: no split column '%s' in the header", path, opt->split_column);
    } else if (!opt->split_column) {
        k->split = find_column(cols, n, "split");
        for (int j = 0; j < n && k->split < 0; j++)
            if (ds__ends_with(cols[j], "split")) k->split = j;
    }
    if (k->label == k->file || k->group == k->file || k->split == k->file || (k->split >= 0 && k->split == k->label))
        return ds__err(err, errlen, "%s:1: the file, label, group and split columns must differ", path);
    return 0;
}

int ds_load_manifest(const char *csv_path, const ds_options *opt_in, ds_dataset **out, char *err, size_t errlen)
{
    ds_options dflt = {0};
    const ds_options *opt = opt_in ? opt_in : &dflt;
    *out = NULL;
    ds_csv *c = ds__csv_open(csv_path, err, errlen);
    if (!c) return -1;
    ds_dataset *ds = ds__new(DS_KIND_AUTO);
    char *dir = ds__dirname(csv_path), **cols = NULL, **f, *path = NULL;
    int rc = -1, ncols = 0, n, r, fixed = 0;
    columns k = {-1, -1, -1, -1};
    if (!ds || !dir) {
        ds__err(err, errlen, "%s: out of memory", csv_path);
        goto out;
    }
    if ((r = ds__csv_next(c, &f, &n, err, errlen)) <= 0) {
        if (r == 0) ds__err(err, errlen, "%s: empty manifest: no header line", csv_path);
        goto out;
    }
    if (!(cols = calloc((size_t)n, sizeof *cols))) goto oom;
    for (ncols = 0; ncols < n; ncols++)
        if (!(cols[ncols] = ds__strdup(f[ncols]))) goto oom;
    if (pick_columns(c, cols, ncols, opt, &k, err, errlen)) goto out;
    if (ds__fixed_labels(ds, opt, err, errlen)) goto out;
    fixed = ds->n_labels;
    ds_kind kind = DS_KIND_AUTO;
    while ((r = ds__csv_next(c, &f, &n, err, errlen)) == 1) {
        long line = ds__csv_line(c);
        if (n != ncols) {
            ds__err(err, errlen, "%s:%ld: %d fields, the header has %d", csv_path, line, n, ncols);
            goto out;
        }
        const char *file = f[k.file], *lab = f[k.label];
        if (!*file || !*lab) {
            ds__err(err, errlen, "%s:%ld: column '%s' is empty", csv_path, line, cols[*file ? k.label : k.file]);
            goto out;
        }
        int32_t li = fixed ? ds__label_find(ds, lab) : ds__label(ds, lab);
        if (li < 0) {
            if (fixed)
                ds__err(err, errlen, "%s:%ld: label '%.60s' is not among the labels given", csv_path, line, lab);
            else
                ds__err(err, errlen, "%s: out of memory", csv_path);
            goto out;
        }
        uint8_t split = DS_SPLIT_UNSET;
        if (k.split >= 0) {
            int s = ds__parse_split(f[k.split]);
            if (s < 0) {
                ds__err(err, errlen, "%s:%ld: split '%.40s' is not train, validation or test", csv_path, line,
                        f[k.split]);
                goto out;
            }
            split = (uint8_t)s;
        }
        if (k.group >= 0 && !*f[k.group]) {
            ds__err(err, errlen, "%s:%ld: column '%s' is empty", csv_path, line, cols[k.group]);
            goto out;
        }
        int32_t g = ds__group(ds, k.group >= 0 ? f[k.group] : file);
        free(path);
        if (g < 0 || !(path = ds__join(dir, file))) goto oom;
        ds_kind fk = DS_KIND_AUTO;
        char at[600];
        snprintf(at, sizeof at, "%s:%ld", csv_path, line);
        if (file_kind(file, kind ? kind : opt->kind, &fk, err, errlen, at)) goto out;
        kind = fk;
        if (load_one(ds, fk, path, opt, li, g, split, err, errlen)) {
            char where[640];
            snprintf(where, sizeof where, "listed at %.600s", at);
            add_context(err, errlen, where);
            goto out;
        }
    }
    if (r < 0) goto out;
    if (ds__finish(ds, opt, csv_path, err, errlen)) goto out;
    *out = ds;
    ds = NULL;
    rc = 0;
    goto out;
oom:
    ds__err(err, errlen, "%s: out of memory", csv_path);
out:
    for (int j = 0; j < ncols; j++) free(cols[j]);
    free(cols);
    free(dir);
    free(path);
    ds_free(ds);
    ds__csv_close(c);
    return rc;
}

/* Names in a directory, sorted; dirs selects subdirectories (true) or files (false). Skips '.' names. */
static char **list_dir(const char *dir, bool dirs, int *count, char *err, size_t errlen)
{
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) {
        ds__err(err, errlen, "%s: cannot open directory: %s", dir, strerror(errno));
        return NULL;
    }
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *full = ds__join(dir, e->d_name);
        bool keep = full && (dirs ? ds__is_dir(full) : ds__is_file(full));
        free(full);
        if (!keep) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, (size_t)cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        if (!(names[n] = ds__strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    for (int a = 1; a < n; a++) {   /* insertion sort keeps the order the same on every machine */
        char *v = names[a];
        int b = a;
        while (b > 0 && strcmp(names[b - 1], v) > 0) {
            names[b] = names[b - 1];
            b--;
        }
        names[b] = v;
    }
    if (!names) names = calloc(1, sizeof *names);
    *count = n;
    return names;
}

static void free_names(char **names, int n)
{
    for (int k = 0; k < n; k++) free(names[k]);
    free(names);
}

int ds_load_folders(const char *dir, const ds_options *opt_in, ds_dataset **out, char *err, size_t errlen)
{
    ds_options dflt = {0};
    const ds_options *opt = opt_in ? opt_in : &dflt;
    *out = NULL;
    int nsub = 0, nfiles = 0, rc = -1;
    char **subs = list_dir(dir, true, &nsub, err, errlen), **files = NULL, *cdir = NULL, *path = NULL;
    ds_dataset *ds = ds__new(DS_KIND_AUTO);
    ds_kind kind = opt->kind;
    if (!subs || !ds) {
        if (subs) ds__err(err, errlen, "%s: out of memory", dir);
        goto out;
    }
    if (ds__fixed_labels(ds, opt, err, errlen)) goto out;
    int fixed = ds->n_labels, nclass = fixed;
    if (!fixed) {
        for (int s = 0; s < nsub; s++)
            if (subs[s][0] != '_' && ds__label(ds, subs[s]) < 0) goto oom;
        nclass = ds->n_labels;
        if (!nclass) {
            ds__err(err, errlen, "%s: no class folders", dir);
            goto out;
        }
    }
    /* The kind, unless given: the first data file's, in label and name order. */
    for (int l = 0; l < nclass && kind == DS_KIND_AUTO; l++) {
        free(cdir);
        if (!(cdir = ds__join(dir, ds->label_names[l]))) goto oom;
        if (!ds__is_dir(cdir)) continue;
        free_names(files, nfiles);
        if (!(files = list_dir(cdir, false, &nfiles, err, errlen))) goto out;
        for (int j = 0; j < nfiles && kind == DS_KIND_AUTO; j++) kind = ds__kind_of(files[j]);
    }
    for (int l = 0; l < nclass; l++) {
        const char *name = ds->label_names[l];
        free(cdir);
        if (!(cdir = ds__join(dir, name))) goto oom;
        if (!ds__is_dir(cdir)) {
            ds__err(err, errlen, "%s: label '%s' has no data: no folder %s", dir, name, cdir);
            goto out;
        }
        free_names(files, nfiles);
        if (!(files = list_dir(cdir, false, &nfiles, err, errlen))) goto out;
        int used = 0;
        for (int j = 0; j < nfiles; j++) {
            ds_kind fk = ds__kind_of(files[j]);
            if (fk == DS_KIND_AUTO && kind != DS_IMAGE) continue;   /* README, notes: not data */
            if (fk != DS_KIND_AUTO && fk != kind && !(kind == DS_TABLE && fk == DS_MOTION)) continue;
            free(path);
            if (!(path = ds__join(cdir, files[j]))) goto oom;
            /* Speech Commands names files <speaker>_nohash_<n>.wav: the speaker is the group. */
            const char *nohash = strstr(files[j], "_nohash_");
            char gname[512];
            if (nohash)
                snprintf(gname, sizeof gname, "%.*s", (int)(nohash - files[j]), files[j]);
            else
                snprintf(gname, sizeof gname, "%s/%s", name, files[j]);
            int32_t g = ds__group(ds, gname);
            if (g < 0) goto oom;
            if (load_one(ds, kind == DS_TABLE ? DS_MOTION : kind, path, opt, l, g, DS_SPLIT_UNSET, err, errlen))
                goto out;
            used++;
        }
        if (!used) {
            ds__err(err, errlen, "%s: empty class folder: no %s files (label '%s' has no data)", cdir,
                    kind == DS_AUDIO ? ".wav" : kind == DS_IMAGE ? ".png or .raw" : kind == DS_KIND_AUTO ? "data"
                                                                                                          : ".csv",
                    name);
            goto out;
        }
    }
    if (ds__finish(ds, opt, dir, err, errlen)) goto out;
    *out = ds;
    ds = NULL;
    rc = 0;
    goto out;
oom:
    ds__err(err, errlen, "%s: out of memory", dir);
out:
    free_names(subs, nsub);
    free_names(files, nfiles);
    free(cdir);
    free(path);
    ds_free(ds);
    return rc;
}

/* A CSV whose header names the file column is a manifest; anything else a table. */
static bool looks_like_manifest(const char *path, const ds_options *opt)
{
    char e[8];
    ds_csv *c = ds__csv_open(path, e, sizeof e);
    if (!c) return false;
    char **f;
    int n;
    bool yes = ds__csv_next(c, &f, &n, e, sizeof e) == 1 &&
               find_column(f, n, opt->file_column ? opt->file_column : "file") >= 0;
    ds__csv_close(c);
    return yes;
}

static bool is_csv(const char *name) { return ds__ends_with(name, ".csv") || ds__ends_with(name, ".csv.gz"); }

static int load_file(const char *path, const ds_options *opt, ds_dataset **out, char *err, size_t errlen)
{
    if (is_csv(path))
        return looks_like_manifest(path, opt) ? ds_load_manifest(path, opt, out, err, errlen)
                                              : ds_load_table(path, opt, out, err, errlen);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *i3 = strstr(base, "idx3");
    if (i3 && strstr(i3, "ubyte")) {
        /* The labels beside it: idx3 -> idx1 and images -> labels in the file's name. */
        char *labels = ds__strdup(path);
        if (!labels) return ds__err(err, errlen, "%s: out of memory", path);
        labels[i3 - path + 3] = '1';
        char *im = strstr(labels + (base - path), "images");
        if (im) memcpy(im, "labels", 6);
        int rc = ds_load_idx(path, labels, opt, out, err, errlen);
        free(labels);
        return rc;
    }
    return ds__err(err, errlen, "%s: not a dataset: expected a folder, a .csv manifest or table, or an "
                   "*idx3-ubyte file", path);
}

int ds_load(const char *path, const ds_options *opt_in, ds_dataset **out, char *err, size_t errlen)
{
    ds_options dflt = {0};
    const ds_options *opt = opt_in ? opt_in : &dflt;
    *out = NULL;
    if (ds__is_file(path)) return load_file(path, opt, out, err, errlen);
    if (!ds__is_dir(path)) return ds__err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    int rc;
    char *m = ds__join(path, opt->manifest ? opt->manifest : "metadata.csv");
    if (!m) return ds__err(err, errlen, "%s: out of memory", path);
    if (opt->manifest || ds__is_file(m)) {
        rc = ds_load_manifest(m, opt, out, err, errlen);
        free(m);
        return rc;
    }
    free(m);
    int nfiles = 0, nsub = 0;
    char **files = list_dir(path, false, &nfiles, err, errlen);
    if (!files) return -1;
    const char *idx3 = NULL, *csv = NULL;
    int ncsv = 0;
    for (int k = 0; k < nfiles; k++) {
        if (strstr(files[k], "idx3") && strstr(files[k], "ubyte") && !idx3) idx3 = files[k];
        if (is_csv(files[k])) ncsv++, csv = files[k];
    }
    char **subs = list_dir(path, true, &nsub, err, errlen);
    int classes = 0;
    for (int k = 0; subs && k < nsub; k++) classes += subs[k][0] != '_';
    if (!subs) {
        rc = -1;
    } else if (idx3 || (ncsv == 1 && !classes)) {
        char *full = ds__join(path, idx3 ? idx3 : csv);
        rc = full ? load_file(full, opt, out, err, errlen) : ds__err(err, errlen, "%s: out of memory", path);
        free(full);
    } else if (classes) {
        rc = ds_load_folders(path, opt, out, err, errlen);
    } else {
        rc = ds__err(err, errlen, "%s: no dataset found: no metadata.csv manifest, no class folders, no IDX "
                     "pair, no single .csv table", path);
    }
    free_names(files, nfiles);
    free_names(subs, nsub);
    return rc;
}
