/* The optimized SignalRfft kernel (signal_rfft_opt.c) against the reference
 * (signal_rfft.c), bit for bit: one node prepared with MOTE_ISA_REFERENCE and
 * with MOTE_ISA_PORTABLE, over every power-of-two length 4..2048, stacks of
 * frames, input frames shorter than fft_length (zero padded), and inputs
 * that make the reference wrap: full-scale random values, -32768 / 32767
 * everywhere or alternating, impulses. Built twice (tests/CMakeLists.txt):
 * for this host, and with the Arm DSP code path emulated in C. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mote/signal.h"
#include "signal_rfft_common.h"

#define MAXLEN 2048
#define MAXFRAMES 3

static _Alignas(16) uint8_t arena[1 << 16];
static _Alignas(16) uint8_t scratch[4 * MAXLEN + 16];

static uint32_t rng_state = 2024u;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}
static int32_t rint_in(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static struct {
    mote_tensor t[2];
    int32_t io[2];
    mote_node node;
    mote_model model;
    mote_ctx ctx;
    int16_t x[MAXFRAMES * MAXLEN + 1];
    int16_t y[MAXFRAMES * (MAXLEN + 2) + 8];
} cs;

/* frames == 0: a vector [in_len]; else [frames, in_len]. */
static void tensors(int32_t frames, int32_t in_len, int32_t fft_len, int16_t *x)
{
    memset(cs.t, 0, sizeof cs.t);
    const int32_t rows = frames ? frames : 1;
    for (int k = 0; k < 2; k++) {
        mote_tensor *t = &cs.t[k];
        t->type = MOTE_I16;
        t->rank = (uint8_t)(frames ? 2 : 1);
        if (frames) t->dims[0] = frames;
        t->dims[t->rank - 1] = k == 0 ? in_len : fft_len + 2;
        t->bytes = (size_t)rows * (size_t)t->dims[t->rank - 1] * sizeof(int16_t);
    }
    cs.t[0].data = x;
    cs.t[1].data = cs.y;
}

static void prepare(int32_t fft_len, uint32_t isa)
{
    cs.io[0] = 0, cs.io[1] = 1;
    memset(&cs.node, 0, sizeof cs.node);
    cs.node.op = MOTE_OP_SIGNAL_RFFT;
    cs.node.n_in = 1;
    cs.node.n_out = 1;
    cs.node.io = cs.io;
    cs.node.opts.iparams[MOTE_SIG_RFFT_FFT_LENGTH] = fft_len;
    cs.node.opts.iparams[MOTE_SIG_RFFT_T] = 7;
    cs.node.opts.n_iparams = MOTE_SIG_RFFT_N;
    cs.model = (mote_model){.tensors = cs.t, .n_tensors = 2, .nodes = &cs.node, .n_nodes = 1};
    assert_int_equal(mote_prepare_isa(&cs.model, &cs.ctx, arena, sizeof arena, isa), MOTE_OK);
    assert_true(cs.node.scratch_bytes <= sizeof scratch);
    cs.node.scratch = scratch;
}

/* x holds the input; run it on both kernels and compare every output. */
static void check(int32_t frames, int32_t in_len, int32_t fft_len, int16_t *x, const char *what)
{
    static int16_t ref[MAXFRAMES * (MAXLEN + 2)];
    const int32_t rows = frames ? frames : 1;
    const size_t n = (size_t)rows * (size_t)(fft_len + 2);
    tensors(frames, in_len, fft_len, x);
    prepare(fft_len, MOTE_ISA_REFERENCE);
    assert_ptr_equal(cs.node.eval, mote_signal_rfft_eval);
    memset(cs.y, 0x5A, sizeof cs.y);
    mote_invoke(&cs.model);
    memcpy(ref, cs.y, n * sizeof(int16_t));

    prepare(fft_len, MOTE_ISA_PORTABLE);
    assert_ptr_equal(cs.node.eval, mote_signal_rfft_opt_eval);
    memset(scratch, 0xA5, sizeof scratch); /* eval must not depend on the scratch's contents */
    memset(cs.y, 0x5A, sizeof cs.y);
    mote_invoke(&cs.model);
    for (size_t i = 0; i < n; i++)
        if (ref[i] != cs.y[i]) {
            print_error("%s: fft %d, frames %d, in_len %d: output %zu (frame %zu, %s of bin %zu): ref %d opt %d\n",
                        what, fft_len, frames, in_len, i, i / (size_t)(fft_len + 2), i % 2 ? "imag" : "real",
                        (i % (size_t)(fft_len + 2)) / 2, ref[i], cs.y[i]);
            fail();
        }
    /* past the output: untouched */
    for (size_t i = n; i < sizeof cs.y / sizeof cs.y[0]; i++) assert_int_equal((uint16_t)cs.y[i], 0x5A5A);
}

enum { FILL_RANDOM, FILL_SMALL, FILL_MIN, FILL_MAX, FILL_ALTERNATE, FILL_IMPULSE, FILL_EXTREMES, FILL_N };
static const char *const fill_name[FILL_N] = {"random", "small", "all -32768", "all 32767",
                                              "alternating", "impulse", "random extremes"};

static void fill(int16_t *x, int32_t count, int kind)
{
    const int32_t at = count > 0 ? rint_in(0, count - 1) : 0;
    for (int32_t i = 0; i < count; i++) {
        switch (kind) {
        case FILL_RANDOM: x[i] = (int16_t)rint_in(-32768, 32767); break;
        case FILL_SMALL: x[i] = (int16_t)rint_in(-300, 300); break;
        case FILL_MIN: x[i] = -32768; break;
        case FILL_MAX: x[i] = 32767; break;
        case FILL_ALTERNATE: x[i] = (int16_t)(i % 2 ? 32767 : -32768); break;
        case FILL_IMPULSE: x[i] = (int16_t)(i == at ? (rnd() % 2 ? 32767 : -32768) : 0); break;
        default: x[i] = (int16_t)(rnd() % 2 ? 32767 : -32768); break;
        }
    }
}

/* Every length, every fill, full frames, as a vector and as a stack. */
static void test_lengths_and_fills(void **state)
{
    (void)state;
    for (int32_t len = 4; len <= MAXLEN; len *= 2)
        for (int kind = 0; kind < FILL_N; kind++) {
            const int32_t frames = rint_in(0, MAXFRAMES);
            const int32_t rows = frames ? frames : 1;
            fill(cs.x, rows * len, kind);
            check(frames, len, len, cs.x, fill_name[kind]);
        }
}

/* Frames shorter than the FFT (zero padded), odd lengths, several frames. */
static void test_short_frames(void **state)
{
    (void)state;
    for (int i = 0; i < 300; i++) {
        const int32_t len = 4 << rint_in(0, 9);
        const int32_t in_len = rnd() % 4 == 0 ? len - 1 : rint_in(1, len);
        const int32_t frames = rint_in(0, MAXFRAMES);
        const int32_t rows = frames ? frames : 1;
        const int kind = (int)(rnd() % FILL_N);
        fill(cs.x, rows * in_len, kind);
        check(frames, in_len, len, cs.x, fill_name[kind]);
    }
}

/* Many random frames at the audio front ends' lengths (256 and 512 points). */
static void test_audio_lengths(void **state)
{
    (void)state;
    static const int32_t lens[][2] = {{256, 256}, {256, 240}, {512, 480}, {512, 512}};
    for (int r = 0; r < 40; r++)
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            const int kind = r % 3 == 0 ? FILL_EXTREMES : (r % 3 == 1 ? FILL_RANDOM : FILL_SMALL);
            fill(cs.x, MAXFRAMES * lens[k][1], kind);
            check(MAXFRAMES, lens[k][1], lens[k][0], cs.x, fill_name[kind]);
        }
}

/* An input at an address that is 2 mod 4: frames of the input tensor are
 * read in place, with word loads where the core allows unaligned ones. */
static void test_unaligned_input(void **state)
{
    (void)state;
    int16_t *x = (uintptr_t)(void *)cs.x % 4 ? cs.x : cs.x + 1;
    for (int32_t len = 4; len <= MAXLEN; len *= 2) {
        fill(x, 2 * len, FILL_RANDOM);
        check(2, len, len, x, "random, input at 2 mod 4");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lengths_and_fills),
        cmocka_unit_test(test_short_frames),
        cmocka_unit_test(test_audio_lengths),
        cmocka_unit_test(test_unaligned_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
