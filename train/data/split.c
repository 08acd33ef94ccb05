/* Completing a load: label order, labels without data, and the seeded split by group.
 *
 * The split rule (docs/datasets.md): groups, never examples, are dealt to splits, so no group (speaker,
 * recording) is in two splits. When every group carries a single label the deal is done per label
 * (stratified), else over all groups. Within a deal the groups are shuffled by the seed; the first ones go
 * one to each split with a non-zero ratio (train, then test, then validation), so each split gets one when
 * there are enough; every later group goes to the split furthest below its target count of examples. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const float default_ratios[DS_N_SPLITS] = {0.8f, 0.1f, 0.1f};

static bool is_integer(const char *s)
{
    if (*s == '-') s++;
    if (!*s || strlen(s) > 9) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

/* Labels named by integers sort by value; others keep their first-seen order. */
static int order_labels(ds_dataset *ds)
{
    int n = ds->n_labels;
    for (int k = 0; k < n; k++)
        if (!is_integer(ds->label_names[k])) return 0;
    int32_t *order = malloc((size_t)n * sizeof *order), *perm = malloc((size_t)n * sizeof *perm);
    if (!order || !perm) {
        free(order);
        free(perm);
        return -1;
    }
    for (int k = 0; k < n; k++) order[k] = k;
    for (int a = 1; a < n; a++) {        /* insertion sort: a handful of labels */
        int32_t v = order[a];
        long key = strtol(ds->label_names[v], NULL, 10);
        int b = a;
        while (b > 0 && strtol(ds->label_names[order[b - 1]], NULL, 10) > key) {
            order[b] = order[b - 1];
            b--;
        }
        order[b] = v;
    }
    for (int k = 0; k < n; k++) perm[order[k]] = k;
    int rc = ds__relabel(ds, perm);
    free(order);
    free(perm);
    return rc;
}

typedef struct {
    int32_t *members;   /* groups of one deal */
    int n;
} deal;

/* Deals the groups of `d` (sizes in size[]) to splits by ratio r; result in assign[group]. */
static void deal_groups(deal *d, const size_t *size, const float *r, ds_rng *rng, uint8_t *assign)
{
    for (int k = d->n - 1; k > 0; k--) {
        int j = (int)ds_rng_below(rng, (uint32_t)k + 1);
        int32_t t = d->members[k];
        d->members[k] = d->members[j];
        d->members[j] = t;
    }
    double total = 0, sum_r = r[0] + r[1] + r[2], count[DS_N_SPLITS] = {0};
    for (int k = 0; k < d->n; k++) total += (double)size[d->members[k]];
    static const int first_order[DS_N_SPLITS] = {DS_TRAIN, DS_TEST, DS_VALIDATION};
    int seeded = 0;
    for (int k = 0; k < d->n; k++) {
        int32_t g = d->members[k];
        int s = -1;
        while (seeded < DS_N_SPLITS && s < 0) {
            int cand = first_order[seeded++];
            if (r[cand] > 0) s = cand;
        }
        if (s < 0) {
            double best = 0;
            for (int c = 0; c < DS_N_SPLITS; c++) {
                if (r[c] <= 0) continue;
                double deficit = total * r[c] / sum_r - count[c];
                if (s < 0 || deficit > best) {
                    s = c;
                    best = deficit;
                }
            }
        }
        assign[g] = (uint8_t)s;
        count[s] += (double)size[g];
    }
}

/* Assigns a split to every example whose split is `from`, by group. */
static int split_by_group(ds_dataset *ds, uint8_t from, const float *r, uint64_t seed)
{
    int ng = ds->n_groups, nl = ds->n_labels, rc = -1;
    size_t *size = calloc((size_t)ng + 1, sizeof *size);
    int32_t *glabel = malloc(((size_t)ng + 1) * sizeof *glabel);
    uint8_t *assign = calloc((size_t)ng + 1, 1);
    int32_t *members = malloc(((size_t)ng + 1) * sizeof *members);
    if (!size || !glabel || !assign || !members) goto out;
    for (int g = 0; g < ng; g++) glabel[g] = -2;
    for (size_t i = 0; i < ds->n; i++) {
        if (ds->split[i] != from) continue;
        int32_t g = ds->group[i];
        size[g]++;
        glabel[g] = glabel[g] == -2 || glabel[g] == ds->label[i] ? ds->label[i] : -1;
    }
    bool nested = true;
    for (int g = 0; g < ng; g++) nested &= glabel[g] != -1;
    ds_rng rng;
    ds_rng_seed(&rng, seed);
    for (int l = nested ? 0 : -1; l < (nested ? nl : 0); l++) {
        deal d = {members, 0};
        for (int g = 0; g < ng; g++)
            if (size[g] && (!nested || glabel[g] == l)) members[d.n++] = g;
        deal_groups(&d, size, r, &rng, assign);
    }
    for (size_t i = 0; i < ds->n; i++)
        if (ds->split[i] == from) ds->split[i] = assign[ds->group[i]];
    rc = 0;
out:
    free(size);
    free(glabel);
    free(assign);
    free(members);
    return rc;
}

int ds__finish(ds_dataset *ds, const ds_options *opt, const char *what, char *err, size_t errlen)
{
    if (ds->n == 0) return ds__err(err, errlen, "%s: no examples", what);
    if (!opt->labels && order_labels(ds)) return ds__err(err, errlen, "%s: out of memory", what);
    size_t *per_label = calloc((size_t)ds->n_labels + 1, sizeof *per_label);
    if (!per_label) return ds__err(err, errlen, "%s: out of memory", what);
    for (size_t i = 0; i < ds->n; i++) per_label[ds->label[i]]++;
    for (int l = 0; l < ds->n_labels; l++) {
        if (!per_label[l]) {
            free(per_label);
            return ds__err(err, errlen, "%s: label '%s' has no data", what, ds->label_names[l]);
        }
    }
    free(per_label);
    float r[DS_N_SPLITS];
    memcpy(r, opt->ratios, sizeof r);
    for (int s = 0; s < DS_N_SPLITS; s++)
        if (!(r[s] >= 0 && r[s] <= 1))
            return ds__err(err, errlen, "%s: split ratio %g for %s is not in [0, 1]", what, (double)r[s],
                           ds_split_name(s));
    if (r[0] + r[1] + r[2] <= 0) memcpy(r, default_ratios, sizeof r);
    if (r[DS_TRAIN] <= 0) return ds__err(err, errlen, "%s: the train ratio must be above 0", what);
    size_t unset = ds_count(ds, DS_SPLIT_UNSET, -1);
    int rc = 0;
    if (unset == ds->n) {
        rc = split_by_group(ds, DS_SPLIT_UNSET, r, opt->seed);
    } else if (unset) {
        return ds__err(err, errlen, "%s: %zu examples have no split while others have one", what, unset);
    } else if (ds_count(ds, DS_VALIDATION, -1) == 0 && r[DS_VALIDATION] > 0) {
        /* Given splits without validation: validation is carved out of train, by group. */
        float carve[DS_N_SPLITS] = {r[DS_TRAIN], r[DS_VALIDATION], 0};
        rc = split_by_group(ds, DS_TRAIN, carve, opt->seed);
    }
    if (rc) return ds__err(err, errlen, "%s: out of memory", what);
    return 0;
}
