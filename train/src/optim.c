/* Optimizers and learning-rate schedules.
 * SGD: v = momentum * v + g (+ weight_decay * w for filters: L2, coupled); w -= lr * v
 *      (Nesterov: w -= lr * (g + momentum * v)).
 * Adam: Kingma and Ba's update with bias correction; weight decay decoupled (AdamW, Loshchilov and
 *      Hutter): w -= lr * weight_decay * w for filters, besides the Adam step. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

float tr_learning_rate(const tr_train_config *c, long step, long steps_per_epoch)
{
    if (steps_per_epoch < 1) steps_per_epoch = 1;
    long epoch = step / steps_per_epoch;
    switch (c->schedule) {
    case TR_LR_STEP: {
        long k = c->step_epochs > 0 ? epoch / c->step_epochs : 0;
        return c->lr * powf(c->step_gamma, (float)k);
    }
    case TR_LR_COSINE: {
        double total = (double)steps_per_epoch * (c->epochs > 0 ? c->epochs : 1);
        double t = (double)step / total;
        if (t > 1.0) t = 1.0;
        return (float)(c->lr_min + 0.5 * (c->lr - c->lr_min) * (1.0 + cos(3.14159265358979323846 * t)));
    }
    case TR_LR_CONSTANT: break;
    }
    return c->lr;
}

int tr_optim_reset(tr_model *m)
{
    free(m->opt_m);
    free(m->opt_v);
    m->opt_m = calloc(m->n_w + 1, sizeof(float));
    m->opt_v = calloc(m->n_w + 1, sizeof(float));
    m->opt_t = 0;
    if (!m->opt_m || !m->opt_v) return tr_fail(m, "out of memory for the optimizer state (%zu parameters)", m->n_w);
    return 0;
}

TR_HOT static void sgd(const tr_train_config *c, float lr, int decay, float *w, const float *g, float *v, size_t n)
{
    float mu = c->momentum, wd = decay ? c->weight_decay : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + wd * w[i];
        v[i] = mu * v[i] + gi;
        w[i] -= lr * (c->nesterov ? gi + mu * v[i] : v[i]);
    }
}

/* Vectorized (optim.c is built with -fno-math-errno, so sqrtf needs no errno path); same rounding. */
TR_HOT static void adam(const tr_train_config *c, float lr, int decay, long t, float *w, const float *g, float *m1, float *m2,
                 size_t n)
{
    float b1 = c->beta1, b2 = c->beta2;
    float c1 = 1.0f - (float)pow(b1, (double)t), c2 = 1.0f - (float)pow(b2, (double)t);
    float wd = decay ? lr * c->weight_decay : 0.0f;
    for (size_t i = 0; i < n; i++) {
        m1[i] = b1 * m1[i] + (1.0f - b1) * g[i];
        m2[i] = b2 * m2[i] + (1.0f - b2) * g[i] * g[i];
        float mhat = m1[i] / c1, vhat = m2[i] / c2;
        w[i] -= wd * w[i] + lr * mhat / (sqrtf(vhat) + c->adam_epsilon);
    }
}

void tr_optim_step(tr_model *m, const tr_train_config *c, float lr)
{
    m->opt_t++;
    for (int i = 0; i < m->n_params; i++) {
        const tr_param *p = &m->params[i];
        if (!p->trainable || p->unused) continue;
        size_t o = p->offset;
        if (c->optimizer == TR_SGD) sgd(c, lr, p->decay, m->w + o, m->g + o, m->opt_m + o, p->size);
        else adam(c, lr, p->decay, m->opt_t, m->w + o, m->g + o, m->opt_m + o, m->opt_v + o, p->size);
    }
}
