/* fw_main.c - benchmark harness around a mote model package. Reads input
 * vectors from "in.bin" (all inputs of a vector concatenated, vectors back to
 * back), runs model_invoke() once per vector between the bench_start() and
 * bench_stop() markers, appends the concatenated outputs to "out.bin", then
 * prints one summary line. Files are opened relative to the working directory
 * (QEMU semihosting with target=native, or stdio on the host), so no vector is
 * ever linked into the firmware. Exit status: 0 ok, 10-19 the failures below. */
#include <stddef.h>
#include <stdint.h>

#include "fw_sys.h"
#include "model.h"

/* Written by the markers so that GCC can neither drop nor merge them (-fipa-icf). */
volatile uint32_t fw_bench_state;

__attribute__((noinline, noipa)) void bench_start(void) { fw_bench_state = 1; }
__attribute__((noinline, noipa)) void bench_stop(void) { fw_bench_state = 2; }

#ifdef MOTE_LAYER_MARKS
static volatile int fw_next_mark; /* layer index expected at the next mark */
static volatile int fw_bad_mark;  /* first out-of-order index + 1, 0 if none */

/* Called right before layer k and once after the last layer; the instruction
 * counter plugin (or callgrind) splits the invoke at its first instruction. */
__attribute__((noinline, noipa)) void mote_layer_mark(int layer) {
    if (layer != fw_next_mark && !fw_bad_mark) fw_bad_mark = layer + 1;
    fw_next_mark = layer + 1;
}
#endif

/* One measured inference; callgrind toggles collection on this function. */
__attribute__((noinline, noipa)) int mote_fw_invoke(void) {
    bench_start();
    int rc = model_invoke();
    bench_stop();
    return rc;
}

static void put_num(const char *label, unsigned long v) {
    char b[24];
    int i = (int)sizeof b - 1;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    fw_puts(label);
    fw_puts(b + i);
}

static int fail(int code, const char *msg, unsigned long v) {
    fw_puts("mote-fw: error ");
    fw_puts(msg);
    put_num(" ", v);
    fw_puts("\n");
    return code;
}

int main(void) {
    int rc = model_init();
    if (rc != 0) return fail(10, "model_init failed, returned", (unsigned long)rc);
    int ni = model_num_inputs(), no = model_num_outputs();
    size_t in_bytes = 0, out_bytes = 0;
    for (int i = 0; i < ni; i++) {
        if (!model_input(i)) return fail(11, "model_input returned NULL for input", (unsigned long)i);
        in_bytes += model_input_bytes(i);
    }
    for (int i = 0; i < no; i++) out_bytes += model_output_bytes(i);
    if (ni <= 0 || in_bytes == 0) return fail(11, "model has no input bytes, inputs", (unsigned long)ni);

    long flen = 0;
    int fin = fw_open_read("in.bin", &flen);
    if (fin < 0) return fail(12, "cannot open in.bin, handle", 0);
    if (flen <= 0 || (size_t)flen % in_bytes != 0)
        return fail(13, "in.bin size is not a positive multiple of the input bytes, size", (unsigned long)flen);
    int fout = fw_open_write("out.bin");
    if (fout < 0) return fail(14, "cannot create out.bin, handle", 0);

    size_t n = (size_t)flen / in_bytes;
    int marks = -1;
    for (size_t v = 0; v < n; v++) {
        /* Each vector from a fresh state (variables, kernel state), as the host
         * runtime and TFLM's golden vectors do; outside the measured invoke. */
        if (v && (rc = model_init()) != 0) return fail(10, "model_init failed, returned", (unsigned long)rc);
        for (int i = 0; i < ni; i++)
            if (fw_read(fin, model_input(i), model_input_bytes(i)) != 0)
                return fail(15, "short read of in.bin at vector", (unsigned long)v);
#ifdef MOTE_LAYER_MARKS
        fw_next_mark = 0;
        fw_bad_mark = 0;
#endif
        rc = mote_fw_invoke();
        if (rc != 0) {
            put_num("mote-fw: model_invoke returned ", (unsigned long)rc);
            return fail(16, "model_invoke failed at vector", (unsigned long)v);
        }
#ifdef MOTE_LAYER_MARKS
        if (fw_bad_mark) return fail(17, "MOTE_LAYER_MARK out of order, got layer", (unsigned long)(fw_bad_mark - 1));
        if (marks < 0) marks = fw_next_mark;
        if (fw_next_mark != marks) return fail(17, "MOTE_LAYER_MARK count differs at vector", (unsigned long)v);
#endif
        for (int i = 0; i < no; i++)
            if (fw_write(fout, model_output(i), model_output_bytes(i)) != 0)
                return fail(18, "short write of out.bin at vector", (unsigned long)v);
    }
    fw_close(fin);
    fw_close(fout);

    size_t stack = fw_stack_used();
    put_num("mote-fw: vectors ", (unsigned long)n);
    put_num(" in_bytes ", (unsigned long)in_bytes);
    put_num(" out_bytes ", (unsigned long)out_bytes);
    put_num(" stack_bytes ", (unsigned long)stack);
    put_num(" marks ", (unsigned long)(marks < 0 ? 0 : marks));
    fw_puts("\n");
    if (fw_stack_size() && stack >= fw_stack_size()) return fail(19, "stack overflow, stack size", (unsigned long)fw_stack_size());
    return 0;
}
