/* A package that does not compile warning-free: the runner must stop at the
 * compile step and name the file and the log. */
#include "model.h"

int model_init(void) {
    int unused_variable;
    return 0;
}
int model_num_inputs(void) { return 0; }
int model_num_outputs(void) { return 0; }
void *model_input(int i) { return (void *)0 + i; }
size_t model_input_bytes(int i) { return (size_t)i; }
int model_invoke(void) { return 0; }
const void *model_output(int i) { return (void *)0 + i; }
size_t model_output_bytes(int i) { return (size_t)i; }
