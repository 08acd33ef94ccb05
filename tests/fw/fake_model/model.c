/* Fake model package (see model.h): a static arena, three "layers". */
#include <stdint.h>

#include "model.h"

#define N 100

/* Arena: in0 | bias | out0 | sum | out1. */
static uint8_t arena[N + 4 + N + 4 + 4] __attribute__((aligned(4)));
static const uint8_t layer_mul[2] = {3, 1}; /* rodata, so flash has some */
static uint32_t invokes = 1;                /* .data: an initialised image in flash */

static uint32_t load_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int model_init(void) { return 0; }
int model_num_inputs(void) { return 2; }
int model_num_outputs(void) { return 2; }
void *model_input(int i) { return i == 0 ? arena : i == 1 ? arena + N : NULL; }
size_t model_input_bytes(int i) { return i == 0 ? N : i == 1 ? 4 : 0; }
const void *model_output(int i) { return i == 0 ? arena + N + 4 : i == 1 ? arena + 2 * N + 8 : NULL; }
size_t model_output_bytes(int i) { return i == 0 ? N : i == 1 ? 4 : 0; }

int model_invoke(void) {
    const uint8_t *in0 = arena, *bias = arena + N;
    uint8_t *out0 = arena + N + 4, *sum = arena + 2 * N + 4, *out1 = arena + 2 * N + 8;
    if (load_u32(bias) == 0xFFFFFFFFu) return 7;
    invokes++;
    MOTE_LAYER_MARK(0);
    for (int i = 0; i < N; i++) out0[i] = (uint8_t)(in0[i] * layer_mul[0] + layer_mul[1]);
    MOTE_LAYER_MARK(1);
    uint32_t s = 0;
    for (int i = 0; i < N; i++) s += out0[i];
    store_u32(sum, s);
    MOTE_LAYER_MARK(2);
    store_u32(out1, load_u32(sum) + load_u32(bias));
    MOTE_LAYER_MARK(3);
    return 0;
}
