/* The op registry (runtime/include/mote/ops.def) is the one place an op's
 * identity is written: names and TFLite codes are unique, the runtime has a
 * definition exactly for the ops marked K, and the C emitter finds every
 * kernel of every table in the file the registry's naming rule gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "backend/emit_util.h"
#include "import/tflite/options.h"
#include "mote/kernel.h"

#ifndef MOTE_RUNTIME_DIR_TEST
#error "MOTE_RUNTIME_DIR_TEST must point at runtime/"
#endif

static const struct {
    const char *name, *file;
    int kernels, builtin;
} reg[MOTE_OP_COUNT] = {
#define K 1
#define N 0
#define BUILTIN 1
#define CUSTOM 0
#define MOTE_OP(ID, name, sym, kernels, file, tflite, code, options) [MOTE_OP_##ID] = {name, #file, kernels, tflite},
#include "mote/ops.def"
#undef MOTE_OP
};

static void test_names_and_codes(void **state)
{
    (void)state;
    for (int a = 0; a < MOTE_OP_COUNT; a++) {
        assert_string_equal(mote_op_name((mote_op)a), reg[a].name);
        for (int b = a + 1; b < MOTE_OP_COUNT; b++) assert_true(strcmp(reg[a].name, reg[b].name) != 0);
        /* the importer maps each registered identity back to its op */
        if (reg[a].builtin) {
            int found = 0;
            for (int32_t code = 0; code < 256 && !found; code++) found = mote_tflite_builtin_op(code) == a;
            assert_true(found);
        } else {
            assert_int_equal(mote_tflite_custom_op(reg[a].name, (uint32_t)strlen(reg[a].name)), a);
        }
    }
    for (int32_t code = 0; code < 256; code++) {
        int hits = 0;
        for (int a = 0; a < MOTE_OP_COUNT; a++) hits += reg[a].builtin && mote_tflite_builtin_op(code) == a;
        assert_true(hits <= 1);
    }
}

static void test_kernel_files(void **state)
{
    (void)state;
    strlist files = {0};
    assert_int_equal(emit_list_dir(MOTE_RUNTIME_DIR_TEST "/kernels", ".c", &files), 0);
    int checked = 0;
    for (int op = 0; op < MOTE_OP_COUNT; op++) {
        const mote_op_def *def = mote_op_lookup((mote_op)op);
        assert_int_equal(def != NULL, reg[op].kernels);
        if (!def) continue;
        char own[160], path[512], buf[160];
        snprintf(own, sizeof own, "%s.c", reg[op].file);
        assert_true(strlist_has(&files, own));
        for (int k = 0; k < def->n_kernels; k++) {
            const char *file = emit_kernel_file(&files, (mote_op)op, def->kernels[k].name, buf, sizeof buf);
            snprintf(path, sizeof path, "%s/kernels/%s", MOTE_RUNTIME_DIR_TEST, file);
            char *src = emit_slurp(path, NULL), sym[160];
            assert_non_null(src);
            snprintf(sym, sizeof sym, "mote_%s_eval", def->kernels[k].name);
            if (!strstr(src, sym)) fail_msg("%s: kernel %s: %s does not name %s", reg[op].name, def->kernels[k].name, file, sym);
            free(src);
            checked++;
        }
    }
    strlist_free(&files);
    assert_true(checked > 60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_codes),
        cmocka_unit_test(test_kernel_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
