/* Structured pruning of a training-engine model (mote/train.h; library mote_prune, train/prune/):
 * whole output channels of convolutions and units of dense layers are removed, and every layer that
 * reads them is rewired, so the result is a smaller dense model: fewer MACs, smaller tensors, no sparse
 * format needed.
 *
 * Channels that must go together form a group: a convolution's or dense layer's outputs, followed
 * through what keeps channels in place (ReLU, batch norm, dropout, pools, global average pooling, a
 * depthwise convolution with multiplier 1, a reshape that keeps the last dimension) up to the layers that
 * read them (a convolution's input channels, a dense layer's inputs, also through a flatten). A residual
 * ADD joins the groups of its two inputs. A group that reaches the model's output (the logits), a
 * depthwise multiplier above 1 or a reshape that mixes channels cannot be pruned.
 *
 * A channel's importance is the L1 norm of its filter in each layer that produces it, divided by that
 * layer's mean filter L1 norm (so layers of different scale compare), summed over the group. */
#ifndef MOTE_PRUNE_H
#define MOTE_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "mote/train.h"

typedef struct {
    int channels;          /* in the model now */
    int prunable;
    const char *why;       /* when not prunable */
    const char *name;      /* the first layer producing it */
    int n_producers;
    double *importance;    /* per channel (higher: keep) */
} tr_prune_group;

typedef struct {
    tr_prune_group *groups;
    int n_groups;
    int *group_of;         /* per node: the group its output's last dimension carries, or -1 */
    int *flat_of;          /* per node: a flatten of a group's channels (read by dense layers), or -1 */
} tr_prune_plan;

/* The groups of m (initialised). 0, or -1 with err. Free with tr_prune_plan_free. */
int tr_prune_analyse(const tr_model *m, tr_prune_plan *plan, char *err, size_t errlen);
void tr_prune_plan_free(tr_prune_plan *plan);

/* keep[g]: the channels of group g to keep, `kept[g]` of them in ascending order (a group that is not
 * prunable keeps all; keep[g] may then be NULL). */
typedef struct {
    int **keep;
    int *kept;
} tr_prune_choice;

/* The `1 - ratio` most important channels of every prunable group (at least one each). 0 or -1. */
int tr_prune_choose_ratio(const tr_prune_plan *plan, double ratio, tr_prune_choice *c);
/* The counts[g] most important channels of every prunable group g (clamped to 1..channels). 0 or -1. */
int tr_prune_choose_counts(const tr_prune_plan *plan, const int *counts, tr_prune_choice *c);
/* The same choice minus the `step` least important channels of group g (at least one left). */
int tr_prune_choose_less(const tr_prune_plan *plan, const tr_prune_choice *from, int g, int step, tr_prune_choice *c);
void tr_prune_choice_free(const tr_prune_plan *plan, tr_prune_choice *c);

/* A new model: m with only the chosen channels, weights copied. NULL with err. */
tr_model *tr_prune_apply(const tr_model *m, const tr_prune_plan *plan, const tr_prune_choice *c, char *err,
                         size_t errlen);

/* ---- unstructured pruning (train/prune/unstructured.c) ----------------------------------------------
 * Magnitude pruning of single weights in the filters of convolutions (CONV_2D) and dense layers: each
 * layer loses its smallest-magnitude weights until the given fraction of it is zero (the same fraction
 * in every layer, as Zhu & Gupta, "To prune, or not to prune", 2017). A mask remembers what was pruned:
 * pruning only ever adds to it, and tr_unstructured_apply puts the pruned weights back to zero after each
 * optimizer step, so fine-tuning never revives them. Depthwise filters and biases are left dense (few
 * weights, each one matters). The model's weights move when training; the mask is by position. */
typedef struct {
    int n_layers;
    int *param;            /* tr_model_param index of each layer's filters */
    uint8_t **pruned;      /* per layer, per weight: 1 = pruned (held at zero) */
    size_t *size, *n_pruned;
} tr_unstructured;

/* The prunable layers of m. 0, or -1 with err (no convolution or dense layer, out of memory). */
int tr_unstructured_init(tr_unstructured *u, const tr_model *m, char *err, size_t errlen);
void tr_unstructured_free(tr_unstructured *u);
/* Prune every layer to round(sparsity * size) zeros (0 <= sparsity < 1), smallest |w| first among the
 * weights not yet pruned (ties: lower index first, so the result is deterministic). */
void tr_unstructured_prune(tr_unstructured *u, tr_model *m, double sparsity);
/* Zero every pruned weight (after an optimizer step). */
void tr_unstructured_apply(const tr_unstructured *u, tr_model *m);
/* Zhu & Gupta's gradual schedule: 0 before step `begin`, then s * (1 - (1 - t)^3) with t going from 0 to
 * 1 between `begin` and `end`, then s. */
double tr_unstructured_schedule(double s, long step, long begin, long end);
/* Zeros in layer k's filters now (pruned or trained to exactly 0), as a fraction. */
double tr_unstructured_layer_sparsity(const tr_unstructured *u, const tr_model *m, int k);

#endif
