/* Golden test: runs every vector of one ../shared/golden/<name>/ folder through
 * a freshly prepared model (as TFLM made them) and compares the outputs:
 * integer tensors byte for byte, float32 within 1e-4 * max|ref| per tensor.
 * On a mismatch it replays in_04 op by op against layers_04/ and names the
 * first layer that differs. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_model.h"

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return b;
}

/* 0 if equal under the rule for this dtype; else fills why. */
static int compare_tensor(const mote_tensor *t, const uint8_t *got, const uint8_t *ref, char *why, size_t wl)
{
    if (t->type != MOTE_F32) {
        for (size_t i = 0; i < t->bytes; i++)
            if (got[i] != ref[i]) {
                snprintf(why, wl, "byte %zu differs: got %d, expected %d", i,
                         t->type == MOTE_I8 ? (int8_t)got[i] : got[i], t->type == MOTE_I8 ? (int8_t)ref[i] : ref[i]);
                return -1;
            }
        return 0;
    }
    size_t n = t->bytes / 4;
    double maxref = 0, maxdiff = 0;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        float g, r;
        memcpy(&g, got + 4 * i, 4);
        memcpy(&r, ref + 4 * i, 4);
        if (fabs(r) > maxref) maxref = fabs(r);
        double d = fabs((double)g - (double)r);
        if (!(d <= maxdiff)) { /* also catches NaN */
            maxdiff = isnan(d) ? INFINITY : d;
            worst = i;
        }
    }
    double tol = 1e-4 * maxref + 1e-6;
    if (maxdiff > tol) {
        snprintf(why, wl, "max |out-ref| = %g at element %zu exceeds %g", maxdiff, worst, tol);
        return -1;
    }
    return 0;
}

static void locate_layer(const char *golden, const char *model_path)
{
    char path[4096 + 64], err[512];
    snprintf(path, sizeof path, "%s/layers_04/layers.json", golden);
    json_error_t je;
    json_t *layers = json_load_file(path, 0, &je);
    size_t in_len = 0;
    snprintf(path, sizeof path, "%s/in_04.bin", golden);
    uint8_t *in = read_all(path, &in_len);
    mote_host_model *hm = mote_host_model_load(model_path, err, sizeof err);
    if (!layers || !in || !hm) {
        fprintf(stderr, "  (cannot replay layers_04)\n");
        goto out;
    }
    json_t *arr = json_is_array(layers) ? layers : json_object_get(layers, "layers");
    mote_model *m = &hm->m;
    for (int32_t i = 0, off = 0; i < m->n_inputs; i++) {
        mote_tensor *t = &m->tensors[m->inputs[i]];
        memcpy(t->data, in + off, t->bytes);
        off += (int32_t)t->bytes;
    }
    size_t idx;
    json_t *e;
    int32_t done = 0;
    /* m->nodes runs in the planner's order; layers.json names file op indices */
    for (int32_t step = 0; step < m->n_nodes; step++) json_array_foreach(arr, idx, e) {
        int op = (int)json_integer_value(json_object_get(e, "op_index"));
        int ti = (int)json_integer_value(json_object_get(e, "tensor_index"));
        if (op != hm->plan.order[step] || ti < 0 || ti >= m->n_tensors) continue;
        if (step + 1 > done) {
            mote_invoke_range(m, done, step + 1);
            done = step + 1;
        }
        snprintf(path, sizeof path, "%s/layers_04/%s", golden, json_string_value(json_object_get(e, "file")));
        size_t rl = 0;
        uint8_t *ref = read_all(path, &rl);
        char why[256];
        if (!ref || rl != m->tensors[ti].bytes) {
            fprintf(stderr, "  layer op %d tensor %d: reference file missing or of another size\n", op, ti);
            free(ref);
            goto out;
        }
        int bad = compare_tensor(&m->tensors[ti], m->tensors[ti].data, ref, why, sizeof why);
        free(ref);
        if (bad) {
            fprintf(stderr, "  first differing layer: op %d (%s), tensor %d (%s): %s\n", op,
                    json_string_value(json_object_get(e, "op")), ti,
                    json_string_value(json_object_get(e, "name")), why);
            goto out;
        }
    }
    fprintf(stderr, "  every layer of in_04 matches; the difference is in another vector\n");
out:
    json_decref(layers);
    free(in);
    mote_host_model_free(hm);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: golden_test SHARED_DIR NAME\n");
        return 2;
    }
    char golden[2048], path[4096], err[512];
    snprintf(golden, sizeof golden, "%s/golden/%s", argv[1], argv[2]);
    snprintf(path, sizeof path, "%s/manifest.json", golden);
    json_error_t je;
    json_t *man = json_load_file(path, 0, &je);
    if (!man) {
        fprintf(stderr, "%s: %s\n", path, je.text);
        return 1;
    }
    char model[4096];
    snprintf(model, sizeof model, "%s/%s", argv[1],
             json_string_value(json_object_get(json_object_get(man, "model"), "copy_in_shared")));
    json_decref(man);
    int passed = 0, failed = 0, located = 0;
    for (int v = 0; v < 16; v++) {
        size_t in_len = 0, ref_len = 0;
        snprintf(path, sizeof path, "%s/in_%02d.bin", golden, v);
        uint8_t *in = read_all(path, &in_len);
        snprintf(path, sizeof path, "%s/out_%02d.bin", golden, v);
        uint8_t *ref = read_all(path, &ref_len);
        mote_host_model *hm = in && ref ? mote_host_model_load(model, err, sizeof err) : NULL;
        if (!hm) {
            fprintf(stderr, "vector %02d: %s\n", v, in && ref ? err : "missing golden files");
            free(in);
            free(ref);
            failed++;
            break;
        }
        int ok = in_len == mote_host_input_bytes(hm) && ref_len == mote_host_output_bytes(hm);
        if (ok) {
            uint8_t *out = malloc(ref_len);
            mote_host_run(hm, in, out);
            size_t off = 0;
            for (int32_t o = 0; o < hm->m.n_outputs && ok; o++) {
                const mote_tensor *t = &hm->m.tensors[hm->m.outputs[o]];
                char why[256];
                if (compare_tensor(t, out + off, ref + off, why, sizeof why)) {
                    fprintf(stderr, "vector %02d output %d: %s\n", v, (int)o, why);
                    ok = 0;
                }
                off += t->bytes;
            }
            free(out);
        } else {
            fprintf(stderr, "vector %02d: golden sizes do not match the model\n", v);
        }
        if (ok) passed++;
        else {
            failed++;
            if (!located++) locate_layer(golden, model);
        }
        mote_host_model_free(hm);
        free(in);
        free(ref);
    }
    printf("%s: %d passed, %d failed\n", argv[2], passed, failed);
    return failed ? 1 : 0;
}
