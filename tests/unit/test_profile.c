/* Device profiles: shipped files, board figures, parse errors, search path, fit. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target/profile.h"

static const char *const good_body =
    "# a test board\n"
    "board     = Test Board\n"
    "core      = cortex-m4f   # trailing comment\n"
    "features  = dsp fpu\n"
    "clock_mhz = 100\n"
    "ram_kb    = 128\n"
    "flash_kb  = 512\n"
    "toolchain = arm-none-eabi-gcc\n"
    "cflags    = -mcpu=cortex-m4\n"
    "emulator  = qemu-system-arm:mps2-an386\n"
    "ptr_bytes = 4\n";

static char tmp_root[64];

static int make_tmp(void **state)
{
    (void)state;
    snprintf(tmp_root, sizeof tmp_root, "/tmp/mote-profile-XXXXXX");
    if (!mkdtemp(tmp_root)) return -1;
    unsetenv("MOTE_TARGETS_PATH");
    return 0;
}

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p)) rm_dir(p);
    }
    closedir(d);
    rmdir(dir);
}

static int drop_tmp(void **state)
{
    (void)state;
    rm_dir(tmp_root);
    unsetenv("MOTE_TARGETS_PATH");
    return 0;
}

/* Write DIR/FILE (DIR: one level under tmp_root, created) and return its path. */
static const char *write_file(const char *dir, const char *file, const char *text)
{
    static char path[512];
    char d[400];
    snprintf(d, sizeof d, "%s/%s", tmp_root, dir);
    if (access(d, F_OK)) assert_int_equal(mkdir(d, 0700), 0);
    snprintf(path, sizeof path, "%s/%s", d, file);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* A valid profile NAME with RAM_KB, written to DIR. */
static const char *write_profile(const char *dir, const char *name, int ram_kb)
{
    char text[1024], file[128];
    snprintf(text, sizeof text, "name = %s\n%sram_kb = %d\n", name, good_body, ram_kb);
    /* good_body already sets ram_kb: drop its line so the key appears once. */
    char *dup = strstr(text, "ram_kb    = 128\n");
    memmove(dup, dup + 16, strlen(dup + 16) + 1);
    snprintf(file, sizeof file, "%s.target", name);
    return write_file(dir, file, text);
}

static void test_every_shipped_profile_parses(void **state)
{
    (void)state;
    DIR *d = opendir(MOTE_TARGETS_DIR);
    assert_non_null(d);
    int count = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n < 8 || strcmp(e->d_name + n - 7, ".target")) continue;
        char path[512], err[512] = "";
        snprintf(path, sizeof path, "%s/%s", MOTE_TARGETS_DIR, e->d_name);
        mote_profile p;
        if (mote_profile_load_file(path, &p, err, sizeof err)) fail_msg("%s", err);
        assert_int_equal(strlen(p.name), n - 7);
        assert_true(p.clock_mhz > 0);
        assert_true(p.board[0] && p.toolchain[0] && p.emulator[0]);
        /* Every file documents itself: the first line is a comment. */
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        assert_int_equal(fgetc(f), '#');
        fclose(f);
        count++;
    }
    closedir(d);
    assert_true(count >= 8);
}

static void test_list_builtin_sorted(void **state)
{
    (void)state;
    mote_profile *v = NULL;
    size_t n = 0;
    char err[512] = "";
    assert_int_equal(mote_profile_list(&v, &n, err, sizeof err), 0);
    assert_true(n >= 8);
    for (size_t i = 1; i < n; i++) assert_true(strcmp(v[i - 1].name, v[i].name) < 0);
    free(v);
}

static const struct {
    const char *name;
    mote_core core;
    unsigned features, clock_mhz;
    size_t ram_kb, flash_kb;
    int ptr_bytes, mcu;
    const char *toolchain, *cflags, *emulator;
} boards[] = {
    {"nucleo-l4r5zi", MOTE_CORE_CORTEX_M4F, MOTE_FEAT_DSP | MOTE_FEAT_FPU, 120, 640, 2048, 4, 1,
     "arm-none-eabi-gcc", "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard",
     "qemu-system-arm:mps2-an386"},
    {"nrf52840", MOTE_CORE_CORTEX_M4F, MOTE_FEAT_DSP | MOTE_FEAT_FPU, 64, 256, 1024, 4, 1, "arm-none-eabi-gcc",
     "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard", "qemu-system-arm:mps2-an386"},
    {"stm32f746", MOTE_CORE_CORTEX_M7, MOTE_FEAT_DSP | MOTE_FEAT_FPU, 216, 320, 1024, 4, 1, "arm-none-eabi-gcc",
     "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard", "qemu-system-arm:mps2-an500"},
    {"stm32u575", MOTE_CORE_CORTEX_M33, MOTE_FEAT_DSP | MOTE_FEAT_FPU, 160, 786, 2048, 4, 1,
     "arm-none-eabi-gcc", "-mcpu=cortex-m33 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard",
     "qemu-system-arm:mps2-an505"},
    {"rp2040", MOTE_CORE_CORTEX_M0PLUS, 0, 133, 264, 2048, 4, 1, "arm-none-eabi-gcc",
     "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft", "qemu-system-arm:mps2-an385"},
    {"esp32c3", MOTE_CORE_RISCV32IMC, 0, 160, 400, 4096, 4, 0, "riscv32-esp-elf-gcc", "-march=rv32imc -mabi=ilp32",
     "none"},
    {"rpi4", MOTE_CORE_AARCH64, MOTE_FEAT_FPU | MOTE_FEAT_NEON | MOTE_FEAT_SIMD, 1500, 1048576, 0, 8, 0,
     "aarch64-linux-gnu-gcc", "-mcpu=cortex-a72", "qemu-aarch64"},
    {"host", MOTE_CORE_X86_64, MOTE_FEAT_SSE4_1 | MOTE_FEAT_AVX2, 3000, 0, 0, 8, 0, "cc", "", "native"},
};

static void test_required_boards(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof boards / sizeof boards[0]; i++) {
        mote_profile p;
        char err[512] = "";
        if (mote_profile_find(boards[i].name, &p, err, sizeof err)) fail_msg("%s", err);
        assert_string_equal(p.name, boards[i].name);
        assert_int_equal(p.core, boards[i].core);
        assert_int_equal(p.features, boards[i].features);
        assert_int_equal(p.clock_mhz, boards[i].clock_mhz);
        assert_int_equal(p.ram_kb, boards[i].ram_kb);
        assert_int_equal(p.flash_kb, boards[i].flash_kb);
        assert_int_equal(p.ptr_bytes, boards[i].ptr_bytes);
        assert_int_equal(mote_profile_is_mcu(&p), boards[i].mcu);
        assert_string_equal(p.toolchain, boards[i].toolchain);
        assert_string_equal(p.cflags, boards[i].cflags);
        assert_string_equal(p.emulator, boards[i].emulator);
    }
    mote_profile p;
    char feats[128];
    assert_int_equal(mote_profile_find("rpi4", &p, NULL, 0), 0);
    assert_int_equal(p.stack_kb, 262144);
    assert_true(mote_profile_has(&p, "neon"));
    assert_false(mote_profile_has(&p, "dsp"));
    assert_false(mote_profile_has(&p, "no-such-feature"));
    mote_profile_features_str(&p, feats, sizeof feats);
    assert_string_equal(feats, "fpu simd neon");
    assert_string_equal(mote_core_name(p.core), "aarch64");
    assert_null(mote_core_name(MOTE_CORE_COUNT));
}

static void test_defaults_and_paths(void **state)
{
    (void)state;
    const char *path = write_profile("a", "myboard", 96);
    mote_profile p;
    char err[512] = "";
    if (mote_profile_find(path, &p, err, sizeof err)) fail_msg("%s", err);
    assert_string_equal(p.name, "myboard");
    assert_string_equal(p.board, "Test Board");
    assert_int_equal(p.core, MOTE_CORE_CORTEX_M4F); /* trailing comment dropped */
    assert_int_equal(p.ram_kb, 96);
    assert_int_equal(p.stack_kb, 4); /* class default for a microcontroller */
    assert_string_equal(p.path, path);
}

/* Load TEXT as DIR/FILE and expect an error equal to "<path>SUFFIX". */
static void expect_error(const char *file, const char *text, const char *suffix)
{
    const char *path = write_file("bad", file, text);
    char want[1024], err[1024] = "";
    snprintf(want, sizeof want, "%s%s", path, suffix);
    mote_profile p;
    assert_int_equal(mote_profile_load_file(path, &p, err, sizeof err), -1);
    assert_string_equal(err, want);
}

static void test_bad_files(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, "name = b1\n%scolour = red\n", good_body);
    expect_error("b1.target", text, ":13: unknown key 'colour'");
    expect_error("b2.target", "name = b2\nboard = x\n", ": missing required key 'core'");
    snprintf(text, sizeof text, "name = b3\n%s", good_body);
    *strstr(text, "128") = 'x';
    expect_error("b3.target", text, ":7: ram_kb: bad number 'x28' (a plain decimal integer)");
    snprintf(text, sizeof text, "name = b4\n%s", good_body);
    memcpy(strstr(text, "cortex-m4f"), "cortex-m9f", 10);
    expect_error("b4.target", text,
                 ":4: core: unknown core 'cortex-m9f' (known: cortex-m0plus cortex-m3 cortex-m4f cortex-m7 "
                 "cortex-m33 cortex-m55 riscv32imc x86_64 aarch64)");
    snprintf(text, sizeof text, "name = b5\n%s", good_body);
    memcpy(strstr(text, "dsp fpu"), "dsp mmx", 7);
    expect_error("b5.target", text,
                 ":5: features: unknown feature 'mmx' (known: dsp fpu mve simd neon sse4.1 avx2 avx512vnni)");
    snprintf(text, sizeof text, "name = other\n%s", good_body);
    expect_error("b6.target", text, ": name: 'other' differs from the file name 'b6'");
    snprintf(text, sizeof text, "name = b7\n%sclock_mhz = 5\n", good_body);
    expect_error("b7.target", text, ":13: clock_mhz: key given twice");
    expect_error("b8.target", "name = b8\nboard Test\n", ":2: expected 'key = value', got 'board Test'");
    snprintf(text, sizeof text, "name = b9\n%s", good_body);
    memcpy(strstr(text, "clock_mhz = 100"), "clock_mhz = -10", 15);
    expect_error("b9.target", text, ":6: clock_mhz: bad number '-10' (a plain decimal integer > 0)");
    snprintf(text, sizeof text, "name = b10\n%s", good_body);
    *strstr(text, "ptr_bytes = 4") = 'P';
    expect_error("b10.target", text, ":12: unknown key 'Ptr_bytes'");
    snprintf(text, sizeof text, "name = b11\n%s", good_body);
    text[strlen(text) - 2] = '8';
    expect_error("b11.target", text, ": ptr_bytes: 8 does not match core cortex-m4f (4)");
    expect_error("b12.target", "name = b12\nboard =\n", ":2: board: empty value");

    mote_profile p;
    char err[512] = "";
    assert_int_equal(mote_profile_load_file("/nonexistent/x.target", &p, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/x.target: No such file or directory");
}

static void test_search_path_shadowing(void **state)
{
    (void)state;
    write_profile("user1", "nrf52840", 512);
    write_profile("user2", "nrf52840", 128);
    write_profile("user2", "aaa-board", 64);
    char env[256];
    snprintf(env, sizeof env, "%s/user1::%s/user2:%s/missing", tmp_root, tmp_root, tmp_root);
    setenv("MOTE_TARGETS_PATH", env, 1);

    mote_profile p;
    char err[512] = "", want[512];
    if (mote_profile_find("nrf52840", &p, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(p.ram_kb, 512);
    snprintf(want, sizeof want, "%s/user1/nrf52840.target", tmp_root);
    assert_string_equal(p.path, want);
    assert_int_equal(mote_profile_find("aaa-board", &p, err, sizeof err), 0);
    assert_int_equal(p.ram_kb, 64);
    assert_int_equal(mote_profile_find("stm32f746", &p, err, sizeof err), 0); /* still the built-in */
    assert_int_equal(p.ram_kb, 320);

    mote_profile *v = NULL, *builtin = NULL;
    size_t n = 0, nb = 0;
    assert_int_equal(mote_profile_list(&v, &n, err, sizeof err), 0);
    unsetenv("MOTE_TARGETS_PATH");
    assert_int_equal(mote_profile_list(&builtin, &nb, err, sizeof err), 0);
    assert_int_equal(n, nb + 1); /* aaa-board added, nrf52840 shadowed, not doubled */
    assert_string_equal(v[0].name, "aaa-board");
    int seen = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, "nrf52840")) {
            seen++;
            assert_int_equal(v[i].ram_kb, 512);
        }
    assert_int_equal(seen, 1);
    free(v);
    free(builtin);

    assert_int_equal(mote_profile_find("no-such-board", &p, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "unknown target 'no-such-board': no no-such-board.target in $MOTE_TARGETS_PATH or %s "
             "(see 'mote targets')", MOTE_TARGETS_DIR);
    assert_string_equal(err, want);
    assert_int_equal(mote_profile_find("Bad Name", &p, err, sizeof err), -1);
    assert_string_equal(err, "bad target name 'Bad Name' (lowercase letters, digits, '-', '_')");

    /* A broken user file makes the listing fail, naming the file. */
    write_file("user3", "broken.target", "name = broken\nspeed = 3\n");
    snprintf(env, sizeof env, "%s/user3", tmp_root);
    setenv("MOTE_TARGETS_PATH", env, 1);
    assert_int_equal(mote_profile_list(&v, &n, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s/user3/broken.target:2: unknown key 'speed'", tmp_root);
    assert_string_equal(err, want);
    assert_null(v);
}

static void test_fit(void **state)
{
    (void)state;
    mote_profile p;
    char msg[512];
    assert_int_equal(mote_profile_find("nrf52840", &p, NULL, 0), 0);

    mote_footprint f = {.arena_bytes = 21808, .static_ram_bytes = 4096, .weights_bytes = 90000,
                        .code_bytes = 10000};
    assert_int_equal(mote_profile_fit(&p, &f, msg, sizeof msg), 1);
    assert_string_equal(msg, "fits nrf52840: RAM 30,000 of 262,144 bytes (11%, 232,144 free), "
                             "flash 100,000 of 1,048,576 bytes (10%, 948,576 free)");

    f.arena_bytes = 300000;
    assert_int_equal(mote_profile_fit(&p, &f, msg, sizeof msg), 0);
    assert_string_equal(msg, "RAM overflow by 46,048 bytes: arena 300,000 + runtime RAM 8,192 "
                             "(static 4,096 + stack 4,096) > 262,144 bytes of RAM on nrf52840");

    f.weights_bytes = 1048000;
    f.stack_bytes = 2048; /* explicit stack replaces stack_kb */
    assert_int_equal(mote_profile_fit(&p, &f, msg, sizeof msg), 0);
    assert_string_equal(msg, "RAM overflow by 44,000 bytes: arena 300,000 + runtime RAM 6,144 "
                             "(static 4,096 + stack 2,048) > 262,144 bytes of RAM on nrf52840; "
                             "flash overflow by 9,424 bytes: weights 1,048,000 + code 10,000 "
                             "> 1,048,576 bytes of flash on nrf52840");

    /* Exactly full fits. */
    mote_footprint full = {.arena_bytes = 262144 - 4096, .weights_bytes = 1048576};
    assert_int_equal(mote_profile_fit(&p, &full, msg, sizeof msg), 1);
    assert_string_equal(msg, "fits nrf52840: RAM 262,144 of 262,144 bytes (100%, 0 free), "
                             "flash 1,048,576 of 1,048,576 bytes (100%, 0 free)");
    full.code_bytes = 1;
    assert_int_equal(mote_profile_fit(&p, &full, NULL, 0), 0);

    /* Host: nothing is limited. */
    assert_int_equal(mote_profile_find("host", &p, NULL, 0), 0);
    mote_footprint big = {.arena_bytes = 5000000000u / 2, .weights_bytes = 123456789, .stack_bytes = 1};
    assert_int_equal(mote_profile_fit(&p, &big, msg, sizeof msg), 1);
    assert_string_equal(msg, "fits host: RAM 2,500,000,001 bytes (not limited), flash 123,456,789 bytes "
                             "(not limited)");

    /* A short buffer truncates without overrunning. */
    char tiny[8];
    assert_int_equal(mote_profile_fit(&p, &big, tiny, sizeof tiny), 1);
    assert_string_equal(tiny, "fits ho");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_profile_parses),
        cmocka_unit_test(test_list_builtin_sorted),
        cmocka_unit_test(test_required_boards),
        cmocka_unit_test(test_defaults_and_paths),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_search_path_shadowing),
        cmocka_unit_test(test_fit),
    };
    return cmocka_run_group_tests(tests, make_tmp, drop_tmp);
}
