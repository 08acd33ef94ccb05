/* Bad input gives -1 and a one-line error naming the problem: NaN/Inf in data, labels out of range,
 * shape mismatches, impossible layers, bad configurations. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mote/train.h"

static tr_shape s1(int c) { return (tr_shape){1, {c, 0, 0}}; }
static tr_shape s2(int w, int c) { return (tr_shape){2, {w, c, 0}}; }
static tr_shape s3(int h, int w, int c) { return (tr_shape){3, {h, w, c}}; }

#define EXPECT_ERROR(call, m, text)                                                                             \
    do {                                                                                                        \
        assert_int_equal((call), -1);                                                                           \
        if (!strstr(tr_model_error(m), (text)))                                                                 \
            fail_msg("error \"%s\" does not mention \"%s\"", tr_model_error(m), (text));                        \
        assert_null(strchr(tr_model_error(m), '\n'));                                                           \
    } while (0)

/* [4,4,1] -> conv -> flatten -> dense(10), initialised; 20 samples of zeros with labels i % 10. */
typedef struct {
    tr_model *m;
    float x[20 * 16];
    int32_t y[20];
    tr_dataset d;
    tr_train_config c;
} fixture;

static int setup(void **st)
{
    fixture *f = calloc(1, sizeof *f);
    f->m = tr_model_new();
    int x = tr_model_add_input(f->m, s3(4, 4, 1), "image");
    x = tr_model_add_conv2d(f->m, x, 2, 3, 3, 1, 1, TR_PAD_SAME, "conv");
    x = tr_model_add_flatten(f->m, x, NULL);
    x = tr_model_add_dense(f->m, x, 10, "logits");
    assert_true(x >= 0);
    for (int i = 0; i < 20; i++) f->y[i] = i % 10;
    f->d = (tr_dataset){f->x, f->y, 20, s3(4, 4, 1)};
    tr_train_config_default(&f->c);
    f->c.epochs = 1;
    *st = f;
    return 0;
}

static int teardown(void **st)
{
    fixture *f = *st;
    tr_model_free(f->m);
    free(f);
    return 0;
}

static void not_initialised(void **st)
{
    fixture *f = *st;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "not initialised");
}

static void nan_and_inf_in_data(void **st)
{
    fixture *f = *st;
    tr_model_init(f->m, 1);
    f->x[3 * 16 + 5] = NAN;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "training data: x[3][5] is NaN (sample 3, element 5)");
    EXPECT_ERROR(tr_model_forward(f->m, f->x, 20, TR_INFER, NULL), f->m, "is NaN (sample 3");
    f->x[3 * 16 + 5] = INFINITY;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "x[3][5] is infinite");
    f->x[3 * 16 + 5] = 0.0f;
    tr_dataset va = f->d;
    float bad[16] = {0};
    bad[0] = NAN;
    va.x = bad, va.n = 1;
    EXPECT_ERROR(tr_fit(f->m, &f->d, &va, &f->c, NULL), f->m, "validation data: x[0][0] is NaN");
    assert_int_equal(tr_fit(f->m, &f->d, NULL, &f->c, NULL), 0);
}

static void labels_out_of_range(void **st)
{
    fixture *f = *st;
    tr_model_init(f->m, 1);
    f->y[7] = 10;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "label y[7] = 10 is out of range 0..9");
    f->y[7] = -1;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "label y[7] = -1 is out of range 0..9");
    EXPECT_ERROR(tr_model_gradients(f->m, f->x, f->y, 20, NULL, NULL), f->m, "y[7] = -1");
    EXPECT_ERROR(tr_evaluate(f->m, &f->d, 8, NULL, NULL), f->m, "y[7] = -1");
}

static void shape_mismatch(void **st)
{
    fixture *f = *st;
    tr_model_init(f->m, 1);
    f->d.shape = s3(4, 2, 2);
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m,
                 "training data: sample shape [4,2,2] does not match the model input 'image' [4,4,1]");
    f->d.shape = s1(16);
    EXPECT_ERROR(tr_evaluate(f->m, &f->d, 8, NULL, NULL), f->m, "[16] does not match");
}

static void bad_config(void **st)
{
    fixture *f = *st;
    tr_model_init(f->m, 1);
    f->c.batch = 0;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "batch 0 must be >= 1");
    tr_train_config_default(&f->c);
    f->c.lr = 0.0f;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "learning rate 0 must be > 0");
    tr_train_config_default(&f->c);
    f->c.patience = 2;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "early stopping (patience 2) needs validation data");
    tr_train_config_default(&f->c);
    f->c.val_split = 1.5f;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "val_split 1.5 is not in [0, 1)");
    f->c.val_split = 0.99f;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "leaves none for training");
    tr_train_config_default(&f->c);
    f->c.schedule = TR_LR_STEP;
    f->c.step_epochs = 0;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "step_epochs >= 1");
    EXPECT_ERROR(tr_model_set_threads(f->m, -1), f->m, "threads: -1 is out of range");
}

static void diverging(void **st)
{
    fixture *f = *st;
    tr_model_init(f->m, 1);
    for (int i = 0; i < 20 * 16; i++) f->x[i] = (float)(i % 7) * 1e3f;
    f->c.optimizer = TR_SGD;
    f->c.lr = 1e30f;
    f->c.epochs = 5;
    EXPECT_ERROR(tr_fit(f->m, &f->d, NULL, &f->c, NULL), f->m, "training diverged");
}

static void bad_layers(void **st)
{
    (void)st;
    tr_model *m = tr_model_new();
    int in = tr_model_add_input(m, s3(5, 5, 3), "x");
    EXPECT_ERROR(tr_model_add_input(m, s1(3), "x2"), m, "already has an input ('x')");
    EXPECT_ERROR(tr_model_add_conv2d(m, in, 4, 7, 7, 1, 1, TR_PAD_VALID, "big"), m,
                 "conv2d 'big': the 7x7 window does not fit input 'x' [5,5,3] with VALID padding");
    EXPECT_ERROR(tr_model_add_conv2d(m, in, 0, 3, 3, 1, 1, TR_PAD_SAME, "c0"), m, "filters is 0");
    EXPECT_ERROR(tr_model_add_conv2d(m, in, 4, 3, 3, 0, 1, TR_PAD_SAME, "s0"), m, "strides 0x1 must be >= 1");
    EXPECT_ERROR(tr_model_add_conv2d(m, 9, 4, 3, 3, 1, 1, TR_PAD_SAME, "c9"), m, "input 9 is not a node");
    int c = tr_model_add_conv2d(m, in, 4, 3, 3, 1, 1, TR_PAD_SAME, "c");
    assert_true(c >= 0);
    EXPECT_ERROR(tr_model_add_add(m, in, c, "res"), m, "add 'res': input shapes differ: 'x' [5,5,3] and 'c' [5,5,4]");
    EXPECT_ERROR(tr_model_add_relu(m, c, "c"), m, "the name is already used");
    EXPECT_ERROR(tr_model_add_reshape(m, c, s2(7, -1), "r"), m, "has 100 elements, [7,-1] cannot hold them");
    EXPECT_ERROR(tr_model_add_dropout(m, c, 1.0f, "d"), m, "rate 1 is not in [0, 1)");
    EXPECT_ERROR(tr_model_add_batchnorm(m, c, 1.5f, 1e-3f, "bn"), m, "momentum 1.5 must be in [0, 1)");
    int f = tr_model_add_flatten(m, c, "f");
    EXPECT_ERROR(tr_model_add_max_pool(m, f, 2, 2, 2, 2, TR_PAD_VALID, "p"), m,
                 "max_pool 'p': input 'f' has shape [100]; it needs [H,W,C]");
    EXPECT_ERROR(tr_model_add_conv1d(m, in, 4, 3, 1, TR_PAD_SAME, "c1"), m, "it needs [W,C]");
    /* a failed add passes -1 on; the next add keeps the first message */
    int bad = tr_model_add_conv2d(m, in, 4, 9, 9, 1, 1, TR_PAD_VALID, "first");
    EXPECT_ERROR(tr_model_add_relu(m, bad, "then"), m, "conv2d 'first': the 9x9 window does not fit");
    int d = tr_model_add_dense(m, f, 3, "out");
    assert_true(d >= 0);
    assert_int_equal(tr_model_num_nodes(m), 4);  /* failed adds left nothing behind */
    assert_int_equal(tr_model_num_params(m), 4);
    tr_model_free(m);
    /* a model without input */
    m = tr_model_new();
    float x[3] = {0};
    EXPECT_ERROR(tr_model_forward(m, x, 1, TR_INFER, NULL), m, "no input node");
    tr_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(not_initialised, setup, teardown),
        cmocka_unit_test_setup_teardown(nan_and_inf_in_data, setup, teardown),
        cmocka_unit_test_setup_teardown(labels_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(shape_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_config, setup, teardown),
        cmocka_unit_test_setup_teardown(diverging, setup, teardown),
        cmocka_unit_test(bad_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
