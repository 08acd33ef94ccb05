/* The end of an AutoML job: the chosen model goes into the model repository
 * like a pushed one (checked by the importer, bytes in a blob), with its
 * lineage in the metadata: dataset version, the job and its options, the
 * trial that won. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "automl/internal.h"
#include "driver/inspect_json.h"

static uint8_t *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (b = malloc((size_t)n)) && fread(b, 1, (size_t)n, f) == (size_t)n) {
        fclose(f);
        *len = (size_t)n;
        return b;
    }
    free(b);
    if (f) fclose(f);
    snprintf(err, errlen, "%s: cannot be read%s", path, n == 0 ? " (empty)" : "");
    return NULL;
}

/* The trials on the Pareto front, copied. */
static json_t *pareto_of(json_t *trials)
{
    json_t *a = json_array(), *t;
    size_t i;
    json_array_foreach(trials, i, t) if (json_is_true(json_object_get(t, "pareto"))) json_array_append(a, t);
    return a;
}

int automl_publish(moted *m, mote_store *s, const mote_automl_rec *j, const char *job_dir, json_t **result,
                   char *err, size_t errlen)
{
    (void)m;
    char path[1200];
    *result = NULL;
    snprintf(path, sizeof path, "%s/result.json", job_dir);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        snprintf(err, errlen, "the search's result (%s): %s", path, je.text);
        return -1;
    }
    int ret = -1;
    uint8_t *model = NULL;
    size_t model_len = 0;
    json_t *trials = json_object_get(doc, "trials"), *inspect = NULL;
    json_int_t chosen = json_integer_value(json_object_get(doc, "chosen"));
    json_t *trial = json_array_get(trials, (size_t)chosen);
    mote_dataset_rec ds;
    memset(&ds, 0, sizeof ds);
    mote_model_rec rec;
    memset(&rec, 0, sizeof rec);
    if (!json_is_integer(json_object_get(doc, "chosen")) || chosen < 0 || !trial) {
        snprintf(err, errlen, "the search chose no model: no candidate fitted the target and its limits");
        goto out;
    }
    snprintf(path, sizeof path, "%s/out/best/model_int8.tflite", job_dir);
    if (!(model = read_file(path, &model_len, err, errlen))) goto out;
    snprintf(rec.name, sizeof rec.name, "%s", j->model);
    if (j->model_version[0]) snprintf(rec.version, sizeof rec.version, "%s", j->model_version);
    else snprintf(rec.version, sizeof rec.version, "automl-%lld", (long long)j->id);
    char label[200];
    snprintf(label, sizeof label, "%s/%s", rec.name, rec.version);
    if (!(inspect = mote_inspect_json_bytes(model, model_len, label, err, errlen))) goto out;
    if (mote_store_dataset_get(s, j->dataset, j->dataset_version, &ds) != 0) {
        snprintf(err, errlen, "dataset %s/%s: %s", j->dataset, j->dataset_version,
                 mote_store_error(s)[0] ? mote_store_error(s) : "gone");
        goto out;
    }
    rec.metadata = json_pack("{s:s, s:O, s:O, s:{s:{s:s, s:s, s:s}, s:I, s:O, s:O}}", "source", "automl", "task",
                             json_object_get(j->spec, "task"), "target", json_object_get(j->spec, "target"), "lineage",
                             "dataset", "name", ds.name, "version", ds.version, "sha256", ds.sha256, "automl_job",
                             (json_int_t)j->id, "spec", j->spec, "trial", trial);
    if (!rec.metadata) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rec.size = (int64_t)model_len;
    if (mote_store_blob_put(s, model, model_len, rec.sha256) != 0) {
        snprintf(err, errlen, "storage: %s", mote_store_error(s));
        goto out;
    }
    char made[65];
    memcpy(made, rec.sha256, sizeof made);
    int r = mote_store_model_add(s, &rec);
    if (r < 0 || (r == 1 && strcmp(made, rec.sha256))) {
        if (r < 0) snprintf(err, errlen, "storage: %s", mote_store_error(s));
        else snprintf(err, errlen, "model %s exists already with other bytes: choose another model version", label);
        goto out;
    }
    *result = json_pack("{s:{s:s, s:s, s:s, s:I}, s:O, s:o, s:I, s:O, s:O, s:O}", "model", "name", rec.name,
                        "version", rec.version, "sha256", rec.sha256, "size", (json_int_t)rec.size, "chosen", trial,
                        "pareto", pareto_of(trials), "trials", (json_int_t)json_array_size(trials), "seconds",
                        json_object_get(doc, "seconds"), "first_valid_seconds",
                        json_object_get(doc, "first_valid_seconds"), "resumed", json_object_get(doc, "resumed"));
    ret = *result ? 0 : -1;
    if (ret) snprintf(err, errlen, "out of memory");
out:
    json_decref(doc);
    json_decref(inspect);
    mote_dataset_free(&ds);
    mote_model_free(&rec);
    free(model);
    return ret;
}
