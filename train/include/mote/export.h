/* Exporting a trained model (mote/train.h) as a TFLite graph (library mote_train_export, train/export/).
 *
 * Both exporters first fold batch norms into the layer before them (tr_fold_batchnorm, in place), then
 * map the live nodes to graph IR ops (compiler/ir/graph.h) in node order, batch 1, NHWC:
 *
 *   conv2d / conv1d   CONV_2D (a rank-2 [W, C] tensor is [1, 1, W, C]: 1-D as H = 1)
 *   depthwise         DEPTHWISE_CONV_2D
 *   dense             FULLY_CONNECTED, after a RESHAPE to [1, N] when its input is not [1, N]
 *   avg / max pool    AVERAGE_POOL_2D / MAX_POOL_2D
 *   global avg pool   MEAN over axes 1, 2 without keep_dims: [1, C]
 *   add               ADD
 *   relu / relu6      the fused activation of the conv, depthwise, dense, pool or add before it (mote has
 *                     no standalone RELU kernel: a ReLU after anything else, or after an output that has
 *                     other users, is refused)
 *   reshape / flatten RESHAPE (none when the shape does not change); dropout and identity: nothing
 *   (the end)         SOFTMAX (beta 1) on the logits: the graph's one output is the class probabilities
 *
 * Tensor names are the node names; the input tensor is the input node's, the output "probabilities".
 * A batch norm that does not follow a convolution or dense layer is refused.
 *
 * int8 (post-training quantization, TFLite's conventions): the float model runs in the engine over the
 * calibration set and every tensor gets the min/max of its values, widened to include 0 (a ReLU6 output:
 * [0, 6]); activations are per-tensor asymmetric int8 (scale (max - min) / 255, zero point nudged into
 * [-128, 127] as TFLite does); pools, MEAN and RESHAPE keep their input's scale and zero point; conv
 * weights per-channel symmetric int8 on axis 0, depthwise on axis 3, FULLY_CONNECTED per tensor, values
 * in [-127, 127]; biases int32 with scale input_scale * weight_scale[c], zero point 0. The input and
 * output tensors are int8: real = scale * (q - zero_point) with the input's calibrated scale and zero
 * point, and the softmax output scale 1/256, zero point -128.
 *
 * Errors: NULL and a one-line reason in err naming the node (an empty or uninitialised model, a layer
 * that cannot be exported, calibration data of the wrong shape or with NaN/Inf). */
#ifndef MOTE_TRAIN_EXPORT_H
#define MOTE_TRAIN_EXPORT_H

#include <stddef.h>

#include "ir/graph.h"
#include "mote/train.h"

/* The float32 graph. Folds m's batch norms in place. */
mote_ir_graph *tr_export_float(tr_model *m, char *err, size_t errlen);

/* The int8 graph; calib->x holds calib->n samples of the model's input shape (calib->y is not read).
 * Folds m's batch norms in place. */
mote_ir_graph *tr_export_int8(tr_model *m, const tr_dataset *calib, char *err, size_t errlen);

/* The same with the input's quantization given instead of calibrated: for a classifier fed by a front
 * end's int8 features (mote/frontend.h), whose scale and zero point are the front end's. */
mote_ir_graph *tr_export_int8_input(tr_model *m, const tr_dataset *calib, float in_scale, int32_t in_zero_point,
                                    char *err, size_t errlen);

/* The reverse of tr_export_float (train/export/import.c): a float32 graph with one input [1, ...] and one
 * output, made of the layers above (a ReLU or ReLU6 fused into an op becomes its own node; a final
 * SOFTMAX is dropped: the engine's output is the logits), as an engine model holding the graph's
 * weights, ready to fine-tune. NULL with err naming the op that has no engine layer. */
tr_model *tr_import_float(const mote_ir_graph *g, char *err, size_t errlen);

/* mote_tflite_write(g) to a file. 0 or -1 with err. */
int tr_export_write(const mote_ir_graph *g, const char *path, char *err, size_t errlen);

#endif
