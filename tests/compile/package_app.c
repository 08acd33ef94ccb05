/* A tiny application around a generated C package: reads the input tensor
 * from the file argv[1], runs the model, writes the output tensor to stdout.
 * Used by compile.package and service.rollout to build packages as a
 * firmware engineer would. */
#include <stdio.h>

#include "model.h"

int main(int argc, char **argv)
{
    if (argc != 2 || model_init() != 0) return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(model_input(0), 1, model_input_bytes(0), f) != model_input_bytes(0)) return 3;
    fclose(f);
    if (model_invoke() != 0) return 4;
    fwrite(model_output(0), 1, model_output_bytes(0), stdout);
    return 0;
}
