/* mote runtime: shared facts of MoteMotionFeatures, mote's own TFLite custom
 * op for motion windows (runtime/kernels/motion_features.c; the features,
 * their order and fixed-point units: docs/frontends.md, "Motion").
 *
 * The importer decodes the op's FlexBuffer options into node->opts.iparams;
 * the indices below are the contract between
 * compiler/import/tflite/custom_options.c, compiler/backend/tflite_write.c
 * and the kernel. */
#ifndef MOTE_MOTION_H
#define MOTE_MOTION_H

/* MoteMotionFeatures options: spectral power bands per axis */
enum { MOTE_MOTION_BANDS = 0, MOTE_MOTION_N };

/* Per axis: mean, standard deviation, min, max, then the bands. */
#define MOTE_MOTION_STATS 4
/* Limits checked at prepare: they bound every intermediate of the integer
 * arithmetic (docs/frontends.md) and the DFT's work. */
#define MOTE_MOTION_MAX_WINDOW 1024
#define MOTE_MOTION_MAX_AXES 16
#define MOTE_MOTION_MAX_BANDS 32

#endif
