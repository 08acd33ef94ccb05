/* Firmware runner test: the fake package in fake_model/ through mote_fw_run on
 * the host (callgrind) and on QEMU mps2-an386/an500/an505, checking outputs
 * byte for byte, deterministic instruction counts, layer counts, stack and
 * sizes, plus the error paths (compile error, failing invoke, bad input file).
 * Usage: fw_test <tests/fw dir> <scratch dir> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "target/fw.h"

#define N 100
#define IN_BYTES (N + 4)
#define OUT_BYTES (N + 4)
#define VECTORS 5

static int failures, checks;

#define CHECK(cond, ...)                                    \
    do {                                                    \
        checks++;                                           \
        if (!(cond)) {                                      \
            failures++;                                     \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            printf(__VA_ARGS__);                            \
            printf("\n");                                   \
        }                                                   \
    } while (0)

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Vectors and the outputs the fake model must produce for them. */
static void make_vectors(uint8_t *in, uint8_t *out, size_t n, uint32_t bias0) {
    for (size_t v = 0; v < n; v++) {
        uint8_t *x = in + v * IN_BYTES, *y = out + v * OUT_BYTES;
        uint32_t sum = 0;
        for (int i = 0; i < N; i++) {
            x[i] = (uint8_t)(i * 37 + v * 11 + 5);
            y[i] = (uint8_t)(x[i] * 3 + 1);
            sum += y[i];
        }
        uint32_t bias = bias0 + (uint32_t)v * 1000u;
        put_u32(x + N, bias);
        put_u32(y + N, sum + bias);
    }
}

static int write_file(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}

typedef struct {
    const char *name, *toolchain, *cflags, *machine;
} config;

static const config configs[] = {
    {"host", "cc", "", NULL},
    {"an386", "arm-none-eabi-gcc", "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard", "mps2-an386"},
    {"an500", "arm-none-eabi-gcc", "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard", "mps2-an500"},
    {"an505", "arm-none-eabi-gcc", "-mcpu=cortex-m33 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard", "mps2-an505"},
};

static char fake_dir[1024], bad_dir[1024], scratch[1024];

static int run(const config *c, const char *pkg, const char *input, int layers, mote_fw_result *r, char *err) {
    char work[1200];
    snprintf(work, sizeof work, "%s/%s", scratch, c->name);
    mote_fw_spec s = {.work_dir = work, .package_dir = pkg, .toolchain = c->toolchain, .cflags = c->cflags,
                      .machine = c->machine, .input_path = input, .layer_counts = layers};
    return mote_fw_run(&s, r, err, 512);
}

static void test_config(const config *c, const char *input, const uint8_t *expect) {
    mote_fw_result a, a2, b;
    char err[512];
    int rc = run(c, fake_dir, input, 1, &a, err);
    CHECK(rc == 0, "%s with layers: %s", c->name, err);
    int rc2 = run(c, fake_dir, input, 1, &a2, err);
    CHECK(rc2 == 0, "%s with layers, second run: %s", c->name, err);
    int rcb = run(c, fake_dir, input, 0, &b, err);
    CHECK(rcb == 0, "%s without layers: %s", c->name, err);
    if (rc || rc2 || rcb) goto out;

    const mote_fw_result *rs[3] = {&a, &a2, &b};
    for (int k = 0; k < 3; k++) {
        const mote_fw_result *r = rs[k];
        CHECK(r->n_vectors == VECTORS, "%s: %zu vectors", c->name, r->n_vectors);
        CHECK(r->outputs_bytes == VECTORS * OUT_BYTES && !memcmp(r->outputs, expect, VECTORS * OUT_BYTES),
              "%s run %d: outputs differ from the expected bytes", c->name, k);
        for (size_t v = 0; v < r->n_vectors; v++)
            CHECK(r->insns[v] > 0 && r->insns[v] == r->insns[0], "%s run %d vector %zu: %llu insns (vector 0: %llu)",
                  c->name, k, v, (unsigned long long)r->insns[v], (unsigned long long)r->insns[0]);
        if (c->machine) {
            CHECK(r->stack_bytes > 0 && r->stack_bytes < 4096, "%s: stack %zu", c->name, r->stack_bytes);
            CHECK(r->text_bytes > 500 && r->flash_bytes < 16384, "%s: text %zu flash %zu", c->name, r->text_bytes,
                  r->flash_bytes);
        } else {
            CHECK(r->stack_bytes == 0, "host stack %zu", r->stack_bytes);
            CHECK(r->text_bytes > 500, "host text %zu", r->text_bytes);
        }
        CHECK(r->flash_bytes >= r->text_bytes + r->rodata_bytes + r->data_bytes, "%s: flash %zu < text+rodata+data",
              c->name, r->flash_bytes);
        CHECK(r->rodata_bytes >= 2 && r->data_bytes >= 4 && r->bss_bytes >= 212, "%s: rodata %zu data %zu bss %zu",
              c->name, r->rodata_bytes, r->data_bytes, r->bss_bytes);
        CHECK(r->ram_bytes == r->data_bytes + r->bss_bytes + r->stack_bytes, "%s: ram %zu", c->name, r->ram_bytes);
    }
    /* deterministic: the same build measured twice gives the same numbers */
    CHECK(a.insns[0] == a2.insns[0] && a.stack_bytes == a2.stack_bytes, "%s: %llu vs %llu insns", c->name,
          (unsigned long long)a.insns[0], (unsigned long long)a2.insns[0]);
    CHECK(a.n_layers == 3 && a2.n_layers == 3 && b.n_layers == 0, "%s: %zu layers", c->name, a.n_layers);
    uint64_t sum = 0;
    for (size_t k = 0; k < a.n_layers && k < 3; k++) {
        CHECK(a.layer_insns[k] > 0 && a.layer_insns[k] == a2.layer_insns[k], "%s layer %zu: %llu vs %llu", c->name, k,
              (unsigned long long)a.layer_insns[k], (unsigned long long)a2.layer_insns[k]);
        sum += a.layer_insns[k];
    }
    /* layer 0 (100 multiply-adds) and layer 1 (100 additions) dwarf layer 2 (one addition) */
    CHECK(a.n_layers == 3 && a.layer_insns[0] > 10 * a.layer_insns[2] && a.layer_insns[1] > 10 * a.layer_insns[2],
          "%s: layer counts not in proportion to the work", c->name);
    CHECK(sum <= a.insns[0], "%s: layers sum %llu > invoke %llu", c->name, (unsigned long long)sum,
          (unsigned long long)a.insns[0]);
    CHECK(b.insns[0] < a.insns[0], "%s: without marks %llu, with %llu", c->name, (unsigned long long)b.insns[0],
          (unsigned long long)a.insns[0]);
    printf("%-6s invoke %llu insns (with marks %llu), layers %llu %llu %llu, stack %zu, text %zu rodata %zu data %zu "
           "bss %zu, flash %zu ram %zu\n",
           c->name, (unsigned long long)b.insns[0], (unsigned long long)a.insns[0],
           (unsigned long long)a.layer_insns[0], (unsigned long long)a.layer_insns[1],
           (unsigned long long)a.layer_insns[2], b.stack_bytes, b.text_bytes, b.rodata_bytes, b.data_bytes,
           b.bss_bytes, b.flash_bytes, b.ram_bytes);
out:
    mote_fw_result_free(&a);
    mote_fw_result_free(&a2);
    mote_fw_result_free(&b);
}

static void expect_error(const config *c, const char *pkg, const char *input, const char *want1, const char *want2) {
    mote_fw_result r;
    char err[512] = "";
    int rc = run(c, pkg, input, 0, &r, err);
    CHECK(rc != 0 && strstr(err, want1) && strstr(err, want2), "%s: expected an error with '%s' and '%s', got rc %d: %s",
          c->name, want1, want2, rc, err);
    CHECK(r.outputs == NULL && r.insns == NULL, "%s: result not cleared on error", c->name);
    printf("expected error: %s\n", err);
    mote_fw_result_free(&r);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: fw_test <tests/fw dir> <scratch dir>\n");
        return 2;
    }
    snprintf(fake_dir, sizeof fake_dir, "%s/fake_model", argv[1]);
    snprintf(bad_dir, sizeof bad_dir, "%s/bad_model", argv[1]);
    snprintf(scratch, sizeof scratch, "%s", argv[2]);

    static uint8_t in[VECTORS * IN_BYTES], expect[VECTORS * OUT_BYTES];
    char input[1200], bad_input[1200], fail_input[1200];
    snprintf(input, sizeof input, "%s/vectors.bin", scratch);
    snprintf(bad_input, sizeof bad_input, "%s/short.bin", scratch);
    snprintf(fail_input, sizeof fail_input, "%s/fail.bin", scratch);
    make_vectors(in, expect, VECTORS, 7);
    mkdir(scratch, 0777); /* a fresh build tree has no work folder yet */
    mote_fw_result dummy;
    char err[512];
    mote_fw_spec mk = {.work_dir = scratch, .package_dir = "", .toolchain = "cc", .input_path = "",
                       .machine = "nope"};
    CHECK(mote_fw_run(&mk, &dummy, err, sizeof err) != 0 && strstr(err, "unknown machine 'nope'"), "%s", err);
    if (write_file(input, in, sizeof in) || write_file(bad_input, in, IN_BYTES + 3)) {
        printf("FAIL cannot write vectors under %s\n", scratch);
        return 1;
    }
    uint8_t one[IN_BYTES], one_out[OUT_BYTES];
    make_vectors(one, one_out, 1, 0xFFFFFFFFu); /* the fake model refuses this bias */
    if (write_file(fail_input, one, sizeof one)) return 1;

    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) test_config(&configs[i], input, expect);

    const config missing = {"missing", "no-such-gcc-for-mote", "", NULL};
    expect_error(&missing, fake_dir, input, "compile: cannot run no-such-gcc-for-mote", "compile.log");
    expect_error(&configs[0], bad_dir, input, "compile: ", "compile.log");
    expect_error(&configs[0], bad_dir, input, "bad_model/model.c", "failed");
    expect_error(&configs[0], fake_dir, fail_input, "model_invoke failed at vector 0", "run.log");
    expect_error(&configs[1], fake_dir, fail_input, "qemu run: exit status 16", "run.log");
    expect_error(&configs[3], fake_dir, bad_input, "in.bin size is not a positive multiple", "run.log");

    printf("fw: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
