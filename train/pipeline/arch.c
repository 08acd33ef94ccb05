/* The starting architectures of `mote train` (mote/pipeline.h): a DS-CNN for audio features, an MLP for
 * motion features, a 1-D CNN for raw motion windows, a small CNN or an MLP for images; a small ResNet for
 * any of them but motion features. Convolutions are
 * followed by batch norm and ReLU (folded and fused at export). */
#include <stdio.h>
#include <string.h>

#include "mote/pipeline.h"

#define PICK(v, d) ((v) > 0 ? (v) : (d))
/* Running statistics follow the batches faster than Keras' 0.99: these datasets give a few hundred
 * steps in all, and inference-mode validation would lag far behind training. */
#define BN_MOMENTUM 0.9f

static int conv_bn_relu(tr_model *m, int x, int filters, int kh, int kw, int sh, int sw, const char *name)
{
    char n[64];
    snprintf(n, sizeof n, "%s", name);
    x = tr_model_add_conv2d(m, x, filters, kh, kw, sh, sw, TR_PAD_SAME, n);
    snprintf(n, sizeof n, "%s_bn", name);
    x = tr_model_add_batchnorm(m, x, BN_MOMENTUM, 1e-3f, n);
    return tr_model_add_relu(m, x, NULL);
}

static int head(tr_model *m, int x, float dropout, int n_classes)
{
    if (dropout > 0) x = tr_model_add_dropout(m, x, dropout, "dropout");
    return tr_model_add_dense(m, x, n_classes, "logits");
}

/* DS-CNN (Zhang et al., "Hello Edge", 2017): a strided first convolution, then depthwise-separable
 * blocks, average pooling to a 4 x 4 grid. */
static int ds_cnn(tr_model *m, int x, tr_shape in, const tp_arch *a, int n_classes)
{
    int w = PICK(a->width, 32), blocks = PICK(a->depth, 3), k = PICK(a->kernel, 3);
    /* 5 x 4 rather than Hello Edge's 10 x 4: half the first layer's cost (the largest in the model) for
     * the same FSDD accuracy */
    int kh = in.dims[0] < 5 ? in.dims[0] : 5, kw = in.dims[1] < 4 ? in.dims[1] : 4;
    x = conv_bn_relu(m, x, w, kh, kw, 2, 2, "conv0");
    int h = (in.dims[0] + 1) / 2, wd = (in.dims[1] + 1) / 2;
    for (int b = 1; b <= blocks; b++) {
        char n[32];
        /* the first block halves a map of 8 x 8 or more again: the blocks then cost a quarter, which is
         * what lets an FSDD model with its front end run a second of audio in under 50 ms on a 64 MHz
         * Cortex-M4 (docs/benchmarks.md) */
        int s = b == 1 && h >= 8 && wd >= 8 ? 2 : 1;
        h = (h + s - 1) / s, wd = (wd + s - 1) / s;
        snprintf(n, sizeof n, "dw%d", b);
        x = tr_model_add_depthwise_conv2d(m, x, 1, k, k, s, s, TR_PAD_SAME, n);
        snprintf(n, sizeof n, "dw%d_bn", b);
        x = tr_model_add_batchnorm(m, x, BN_MOMENTUM, 1e-3f, n);
        x = tr_model_add_relu(m, x, NULL);
        snprintf(n, sizeof n, "pw%d", b);
        x = conv_bn_relu(m, x, w, 1, 1, 1, 1, n);
    }
    /* Average over a 4 x 4 grid of time x frequency cells rather than globally: a short word in a
     * padded clip would otherwise be diluted by the silence around it, and where in time a sound
     * falls matters for telling words apart. */
    int ph = (h + 3) / 4, pw = (wd + 3) / 4;
    x = tr_model_add_avg_pool(m, x, ph, pw, ph, pw, TR_PAD_SAME, "pool");
    x = tr_model_add_flatten(m, x, "flatten");
    return head(m, x, a->dropout == 0 ? 0.2f : a->dropout, n_classes);
}

static int mlp(tr_model *m, int x, const tp_arch *a, int n_classes)
{
    int w = PICK(a->width, 64), depth = PICK(a->depth, 2);
    x = tr_model_add_flatten(m, x, "flatten");
    for (int i = 1; i <= depth; i++) {
        char n[32];
        snprintf(n, sizeof n, "dense%d", i);
        x = tr_model_add_dense(m, x, w, n);
        x = tr_model_add_relu(m, x, NULL);
    }
    return head(m, x, a->dropout == 0 ? 0.2f : a->dropout, n_classes);
}

/* [W, C] windows: convolution blocks with pooling, then a dense layer. */
static int cnn1d(tr_model *m, int x, const tp_arch *a, int n_classes)
{
    int w = PICK(a->width, 16), depth = PICK(a->depth, 2), k = PICK(a->kernel, 3);
    for (int i = 1; i <= depth; i++) {
        char n[32];
        snprintf(n, sizeof n, "conv%d", i);
        x = tr_model_add_conv1d(m, x, w, k, 1, TR_PAD_SAME, n);
        snprintf(n, sizeof n, "conv%d_bn", i);
        x = tr_model_add_batchnorm(m, x, BN_MOMENTUM, 1e-3f, n);
        x = tr_model_add_relu(m, x, NULL);
        if (i < depth) x = tr_model_add_max_pool(m, x, 1, 2, 1, 2, TR_PAD_SAME, NULL);
    }
    x = tr_model_add_flatten(m, x, "flatten");
    x = tr_model_add_dense(m, x, 4 * w, "dense");
    x = tr_model_add_relu(m, x, NULL);
    return head(m, x, a->dropout, n_classes);
}

/* One convolution (k x k, or k wide on [W, C] windows), batch norm; ReLU unless relu is 0. */
static int conv_bn(tr_model *m, int x, int rank3, int filters, int k, int s, int relu, const char *name)
{
    char n[64];
    snprintf(n, sizeof n, "%s", name);
    x = rank3 ? tr_model_add_conv2d(m, x, filters, k, k, s, s, TR_PAD_SAME, n)
              : tr_model_add_conv1d(m, x, filters, k, s, TR_PAD_SAME, n);
    snprintf(n, sizeof n, "%s_bn", name);
    x = tr_model_add_batchnorm(m, x, BN_MOMENTUM, 1e-3f, n);
    return relu ? tr_model_add_relu(m, x, NULL) : x;
}

/* A small ResNet (He et al., 2016; MLPerf Tiny's ResNet-8 is this shape) for [H, W, C] or [W, C]: a stem
 * convolution to the width, then residual blocks (two convolutions, their sum with the block's input,
 * ReLU) at one width so the ADD needs no projection; 2x downsampling between blocks while the map is
 * large, then global average pooling. The stem strides 2 on audio-sized maps: the first layer is the
 * costliest on a microcontroller. */
static int resnet(tr_model *m, int x, tr_shape in, const tp_arch *a, int n_classes)
{
    int w = PICK(a->width, 16), blocks = PICK(a->depth, 2), k = PICK(a->kernel, 3), r3 = in.rank == 3;
    int h = in.dims[0], wd = r3 ? in.dims[1] : 1;
    int s = r3 && h >= 16 && wd >= 16 ? 2 : 1;
    x = conv_bn(m, x, r3, w, k, s, 1, "stem");
    h = (h + s - 1) / s, wd = (wd + s - 1) / s;
    for (int b = 1; b <= blocks; b++) {
        char n[32];
        if (b > 1 && h >= 8 && (!r3 || wd >= 8)) {
            x = r3 ? tr_model_add_max_pool(m, x, 2, 2, 2, 2, TR_PAD_SAME, NULL)
                   : tr_model_add_max_pool(m, x, 1, 2, 1, 2, TR_PAD_SAME, NULL);
            h = (h + 1) / 2, wd = r3 ? (wd + 1) / 2 : 1;
        }
        snprintf(n, sizeof n, "res%da", b);
        int y = conv_bn(m, x, r3, w, k, 1, 1, n);
        snprintf(n, sizeof n, "res%db", b);
        y = conv_bn(m, y, r3, w, k, 1, 0, n);
        snprintf(n, sizeof n, "res%d_add", b);
        x = tr_model_add_add(m, x, y, n);
        if (x < 0) return -1;
        x = tr_model_add_relu(m, x, NULL);
    }
    x = tr_model_add_global_avg_pool(m, x, "pool");
    return head(m, x, a->dropout, n_classes);
}

/* [H, W, C] images: k x k convolution blocks doubling the width, each followed by 2x2 max pooling. */
static int cnn(tr_model *m, int x, tr_shape in, const tp_arch *a, int n_classes)
{
    int w = PICK(a->width, 16), depth = PICK(a->depth, 2), k = PICK(a->kernel, 3);
    int h = in.dims[0], wd = in.dims[1];
    for (int i = 1; i <= depth; i++, w *= 2) {
        char n[32];
        snprintf(n, sizeof n, "conv%d", i);
        x = conv_bn_relu(m, x, w, k, k, 1, 1, n);
        if (h >= 4 && wd >= 4) {
            x = tr_model_add_max_pool(m, x, 2, 2, 2, 2, TR_PAD_SAME, NULL);
            h = (h + 1) / 2, wd = (wd + 1) / 2;
        }
    }
    x = tr_model_add_flatten(m, x, "flatten");
    x = tr_model_add_dense(m, x, 64, "dense");
    x = tr_model_add_relu(m, x, NULL);
    return head(m, x, a->dropout, n_classes);
}

tr_model *tp_build_arch(const tp_arch *a, const char *task, tr_shape in, int n_classes, char *err, size_t errlen)
{
    const char *name = a->name;
    if (!name) {
        if (!strcmp(task, "audio")) name = "ds-cnn";
        else if (!strcmp(task, "motion")) name = in.rank == 1 ? "mlp" : "cnn1d";
        else name = in.rank == 3 ? "cnn" : "mlp";
    }
    const char *want = NULL;
    if (!strcmp(name, "ds-cnn") || !strcmp(name, "cnn")) want = in.rank == 3 ? NULL : "[H, W, C] input (audio features or images)";
    else if (!strcmp(name, "cnn1d")) want = in.rank == 2 ? NULL : "[window, axes] input (raw motion: --raw)";
    else if (!strcmp(name, "resnet"))
        want = in.rank >= 2 ? NULL : "[H, W, C] or [window, axes] input (audio features, images, raw motion)";
    else if (strcmp(name, "mlp") != 0) {
        snprintf(err, errlen, "--arch %s: unknown architecture (ds-cnn, cnn1d, cnn, resnet, mlp)", name);
        return NULL;
    }
    if (want) {
        snprintf(err, errlen, "--arch %s needs a %s; this task gives rank %d", name, want, in.rank);
        return NULL;
    }
    tr_model *m = tr_model_new();
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int x = tr_model_add_input(m, in, "input");
    if (!strcmp(name, "ds-cnn")) x = ds_cnn(m, x, in, a, n_classes);
    else if (!strcmp(name, "cnn")) x = cnn(m, x, in, a, n_classes);
    else if (!strcmp(name, "cnn1d")) x = cnn1d(m, x, a, n_classes);
    else if (!strcmp(name, "resnet")) x = resnet(m, x, in, a, n_classes);
    else x = mlp(m, x, a, n_classes);
    if (x < 0) {
        snprintf(err, errlen, "--arch %s: %s", name, tr_model_error(m));
        tr_model_free(m);
        return NULL;
    }
    return m;
}
