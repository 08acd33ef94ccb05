/* Fake model package for the firmware runner tests: the API the mote code
 * generator emits. Input 0: 100 bytes; input 1: a little-endian uint32 bias.
 * Output 0: out0[i] = in0[i] * 3 + 1 (mod 256); output 1: the uint32 sum of
 * out0 plus the bias. model_invoke() fails (returns 7) when the bias is
 * 0xFFFFFFFF, so the tests can check the error path. Three layers. */
#ifndef MODEL_H
#define MODEL_H

#include <stddef.h>

int model_init(void);
int model_num_inputs(void);
int model_num_outputs(void);
void *model_input(int i);
size_t model_input_bytes(int i);
int model_invoke(void);
const void *model_output(int i);
size_t model_output_bytes(int i);

#ifdef MOTE_LAYER_MARKS
void mote_layer_mark(int layer);
#define MOTE_LAYER_MARK(k) mote_layer_mark(k)
#else
#define MOTE_LAYER_MARK(k) ((void)0)
#endif

#endif
