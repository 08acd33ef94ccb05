/* Compile jobs: a model version for a profile and a format becomes a signed
 * artifact (a .mote file or a tar of the C package), cached by a hash of
 * everything the bytes depend on. Jobs are database rows; workers run them. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/compiled.h"
#include "driver/compile_job.h"
#include "mote/mote_file.h"
#include "moted_ctx.h"
#include "rollout/jobs.h"
#include "rollout/profile.h"
#include "rollout/sign.h"
#include "rollout/tar_pkg.h"

/* Kernels the service compiles with (part of the cache key). */
#define KERNELS "opt"

static void cache_key(const mote_model_rec *model, const char *profile_json, const char *format, char out[65])
{
    char text[2048];
    snprintf(text, sizeof text,
             "model=%s\nselftest_in=%s\nselftest_out=%s\nprofile=%s\nformat=%s\nfile_version=%d\nruntime_abi=%d\n"
             "kernels=%s\n",
             model->sha256, model->selftest_in, model->selftest_out, profile_json, format, MOTE_FILE_VERSION,
             MOTE_RUNTIME_ABI, KERNELS);
    mote_sha256_hex(text, strlen(text), out);
}

int compile_submit(struct moted_rollout *r, const mote_model_rec *model, const mote_profile *p, const char *format,
                   int64_t *job, char *err, size_t errlen)
{
    mote_job_rec j;
    memset(&j, 0, sizeof j);
    if (strcmp(format, "mote") && strcmp(format, "c")) {
        snprintf(err, errlen, "format: must be \"mote\" or \"c\", not \"%s\"", format);
        return -1;
    }
    if (rollout_profile_json(p, j.profile, sizeof j.profile) != 0) {
        snprintf(err, errlen, "profile %s: cannot describe it", p->name);
        return -1;
    }
    j.model_id = model->id;
    snprintf(j.target, sizeof j.target, "%s", p->name);
    snprintf(j.format, sizeof j.format, "%s", format);
    cache_key(model, j.profile, format, j.cache_key);
    mote_artifact_rec a;
    int hit = mote_store_artifact_by_key(r->s, j.cache_key, &a);
    if (hit < 0) goto fail;
    if (hit == 0) {
        snprintf(j.state, sizeof j.state, "done");
        snprintf(j.artifact, sizeof j.artifact, "%s", a.sha256);
        snprintf(j.log, sizeof j.log, "cached: artifact %s\n", a.sha256);
    } else {
        snprintf(j.state, sizeof j.state, "queued");
    }
    if (mote_store_job_add(r->s, &j) != 0) goto fail;
    *job = j.id;
    if (hit) rollout_wake(r);
    return 0;
fail:
    snprintf(err, errlen, "%s", mote_store_error(r->s));
    return -1;
}

/* Fixed pseudo-random sequence (xorshift32) for self-test inputs that were not pushed. */
static uint32_t xorshift(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* The self-test vector: pushed with the model, else made here and stored as blobs. */
static int selftest(struct moted_rollout *r, const mote_model_rec *model, mote_host_model *hm, char in_sha[65],
                    char out_sha[65], char *err, size_t errlen)
{
    if (model->selftest_in[0] && model->selftest_out[0]) {
        snprintf(in_sha, 65, "%s", model->selftest_in);
        snprintf(out_sha, 65, "%s", model->selftest_out);
        return 0;
    }
    size_t ni = mote_host_input_bytes(hm), no = mote_host_output_bytes(hm);
    uint8_t *in = malloc(ni ? ni : 1), *out = malloc(no ? no : 1);
    int rc = -1;
    if (!in || !out) {
        snprintf(err, errlen, "self-test: out of memory");
        goto done;
    }
    uint32_t x = 0x6d6f7465u; /* "mote" */
    size_t pos = 0;
    for (int32_t i = 0; i < hm->m.n_inputs; i++) {
        const mote_tensor *t = &hm->m.tensors[hm->m.inputs[i]];
        if (t->type == MOTE_F32) {
            /* Floats in [-1, 1): random bit patterns would give NaN and infinities. */
            for (size_t k = 0; k + 4 <= t->bytes; k += 4) {
                float f = (float)(xorshift(&x) >> 8) / 8388608.0f - 1.0f;
                memcpy(in + pos + k, &f, 4);
            }
        } else {
            for (size_t k = 0; k < t->bytes; k++) in[pos + k] = (uint8_t)(xorshift(&x) >> 24);
        }
        pos += t->bytes;
    }
    mote_host_run(hm, in, out);
    if (mote_store_blob_put(r->s, in, ni, in_sha) != 0 || mote_store_blob_put(r->s, out, no, out_sha) != 0) {
        snprintf(err, errlen, "self-test: %s", mote_store_error(r->s));
        goto done;
    }
    rc = 0;
done:
    free(in);
    free(out);
    return rc;
}

/* The artifact bytes: the .mote file, or the C package as a tar. */
static int artifact_bytes(struct moted_rollout *r, compile_job *cj, const char *format, const char *model_name,
                          uint8_t **data, size_t *len, char *err, size_t errlen)
{
    if (!strcmp(format, "mote")) {
        *data = malloc(cj->mote_len);
        if (!*data) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(*data, cj->mote_file, cj->mote_len);
        *len = cj->mote_len;
        return 0;
    }
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/tmp-c-XXXXXX", r->data_dir);
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "%.900s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = compile_job_emit(cj, FORMAT_C, 0, dir, "model", model_name, err, errlen);
    if (rc == 0) rc = tar_pkg_dir(dir, data, len, err, errlen);
    tar_pkg_rmtree(dir);
    return rc;
}

/* Run the job; fills j's final state. -1 only on a storage error. */
static int run_job(struct moted_rollout *r, mote_job_rec *j)
{
    char err[1024] = "", path[1200];
    mote_model_rec model;
    memset(&model, 0, sizeof model);
    mote_profile prof;
    compile_job cj;
    memset(&cj, 0, sizeof cj);
    uint8_t *data = NULL;
    size_t len = 0;
    int cj_open = 0, rc = 0;
    mote_artifact_rec a;
    memset(&a, 0, sizeof a);
    snprintf(j->state, sizeof j->state, "failed");
    j->refused = 0;

    int got = mote_store_model_get_id(r->s, j->model_id, &model);
    if (got != 0) {
        snprintf(j->error, sizeof j->error, "model %lld: %s", (long long)j->model_id,
                 got > 0 ? "not found" : mote_store_error(r->s));
        rc = got > 0 ? 0 : -1;
        goto done;
    }
    if (mote_store_artifact_by_key(r->s, j->cache_key, &a) == 0) {
        snprintf(j->state, sizeof j->state, "done");
        snprintf(j->artifact, sizeof j->artifact, "%s", a.sha256);
        snprintf(j->log, sizeof j->log, "cached: artifact %s\n", a.sha256);
        goto done;
    }
    if (rollout_profile_from_json(j->profile, &prof, err, sizeof err) != 0 ||
        mote_store_blob_path(r->s, model.sha256, path, sizeof path) != 0) {
        snprintf(j->error, sizeof j->error, "%.500s", err[0] ? err : "model blob missing");
        goto done;
    }
    if (compile_job_open_profile(&cj, path, &prof, NULL, err, sizeof err) != 0) {
        /* The importer or compiler refused the model (unknown op, ...). */
        j->refused = 1;
        snprintf(j->error, sizeof j->error, "%.500s", err);
        goto done;
    }
    cj_open = 1;
    const compile_fit *fit = !strcmp(j->format, "mote") ? &cj.fit_mote : &cj.fit_c;
    if (!fit->fits) {
        j->refused = 1;
        snprintf(j->error, sizeof j->error, "does not fit: %.480s", fit->msg);
        goto done;
    }
    char st_in[65], st_out[65];
    if (selftest(r, &model, cj.hm, st_in, st_out, err, sizeof err) != 0 ||
        artifact_bytes(r, &cj, j->format, model.name, &data, &len, err, sizeof err) != 0) {
        snprintf(j->error, sizeof j->error, "%.500s", err);
        goto done;
    }
    if (mote_store_blob_put(r->s, data, len, a.sha256) != 0) {
        snprintf(j->error, sizeof j->error, "artifact: %s", mote_store_error(r->s));
        goto done;
    }
    a.model_id = model.id;
    snprintf(a.target, sizeof a.target, "%s", prof.name);
    snprintf(a.format, sizeof a.format, "%s", j->format);
    a.size = (int64_t)len;
    snprintf(a.cache_key, sizeof a.cache_key, "%s", j->cache_key);
    snprintf(a.selftest_in, sizeof a.selftest_in, "%s", st_in);
    snprintf(a.selftest_out, sizeof a.selftest_out, "%s", st_out);
    if (rollout_manifest(a.manifest, sizeof a.manifest, a.sha256, a.size, a.format, a.target, model.name,
                         model.version, st_in, st_out) != 0) {
        snprintf(j->error, sizeof j->error, "manifest: model name or version too long");
        goto done;
    }
    rollout_sign(&r->keys, a.manifest, a.signature);
    if (mote_store_artifact_add(r->s, &a) != 0) {
        snprintf(j->error, sizeof j->error, "artifact: %s", mote_store_error(r->s));
        goto done;
    }
    snprintf(j->state, sizeof j->state, "done");
    snprintf(j->artifact, sizeof j->artifact, "%s", a.sha256);
    snprintf(j->log, sizeof j->log,
             "compiled %s %s for %s (%s)\narena %zu bytes, weights %zu, .mote %zu bytes\n%s\nartifact %s, %zu bytes\n",
             model.name, model.version, prof.name, j->format,
             (!strcmp(j->format, "mote") ? &cj.mote : &cj.c)->arena_bytes, cj.sz.weights_bytes, cj.mote_len, fit->msg,
             a.sha256, len);
done:
    if (!strcmp(j->state, "failed") && !j->log[0]) snprintf(j->log, sizeof j->log, "failed: %s\n", j->error);
    if (cj_open) compile_job_close(&cj);
    free(data);
    mote_model_free(&model);
    return rc;
}

int compile_run_next(struct moted_rollout *r)
{
    mote_job_rec j;
    int c = mote_store_job_claim(r->s, &j);
    if (c != 0) return c;
    int rc = run_job(r, &j);
    if (strcmp(j.state, "done"))
        moted_log(r->m, "warn", "compile job %lld (%s for %s): %s", (long long)j.id, j.format, j.target, j.error);
    if (mote_store_job_finish(r->s, &j) != 0) return -1;
    return rc;
}

/* {"sha256","size","format","target","manifest","signature"} */
static json_t *artifact_json(const mote_artifact_rec *a)
{
    return json_pack("{s:s,s:I,s:s,s:s,s:s,s:s}", "sha256", a->sha256, "size", (json_int_t)a->size, "format",
                     a->format, "target", a->target, "manifest", a->manifest, "signature", a->signature);
}

json_t *compile_job_json(struct moted_rollout *r, const mote_job_rec *j)
{
    mote_model_rec model;
    memset(&model, 0, sizeof model);
    int have = mote_store_model_get_id(r->s, j->model_id, &model) == 0;
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)j->id, "state", j->state, "model",
                          have ? model.name : "", "version", have ? model.version : "", "target", j->target,
                          "format", j->format, "log", j->log, "error", j->error);
    mote_model_free(&model);
    if (!o) return NULL;
    mote_artifact_rec a;
    if (j->artifact[0] && mote_store_artifact_by_key(r->s, j->cache_key, &a) == 0)
        json_object_set_new(o, "artifact", artifact_json(&a));
    else
        json_object_set_new(o, "artifact", json_null());
    return o;
}
