/* mote targets: list the device profiles, or show one. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "target/profile.h"

static void help(FILE *f)
{
    fprintf(f, "usage: mote targets [--json]\n"
               "       mote targets show NAME [--json]\n\n"
               "Lists the device profiles (name, core, clock, RAM, flash, features, emulator), or\n"
               "prints every field of one. Profiles are NAME.target files searched in the\n"
               "colon-separated $MOTE_TARGETS_PATH, then in %s;\n"
               "NAME may also be a path to a .target file.\n",
               mote_profile_builtin_dir());
}

static json_t *profile_json(const mote_profile *p)
{
    json_t *fa = json_array();
    for (int i = 0; i < MOTE_FEAT_COUNT; i++)
        if ((p->features >> i) & 1u) json_array_append_new(fa, json_string(mote_feature_name(i)));
    return json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:i, s:b, s:s}", "name", p->name,
                     "board", p->board, "core", mote_core_name(p->core), "features", fa, "clock_mhz",
                     (json_int_t)p->clock_mhz, "ram_kb", (json_int_t)p->ram_kb, "flash_kb",
                     (json_int_t)p->flash_kb, "stack_kb", (json_int_t)p->stack_kb, "toolchain", p->toolchain,
                     "cflags", p->cflags, "emulator", p->emulator, "ptr_bytes", p->ptr_bytes, "mcu",
                     mote_profile_is_mcu(p), "path", p->path);
}

static int print_json(json_t *root)
{
    char *s = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    if (!s) {
        fprintf(stderr, "mote targets: out of memory\n");
        return 1;
    }
    puts(s);
    free(s);
    return 0;
}

/* "640 KB", "2 MB", "-" for not limited. */
static void size_str(size_t kb, char *buf, size_t len)
{
    if (!kb) snprintf(buf, len, "-");
    else if (kb % (1024 * 1024) == 0) snprintf(buf, len, "%zu GB", kb / (1024 * 1024));
    else if (kb % 1024 == 0) snprintf(buf, len, "%zu MB", kb / 1024);
    else snprintf(buf, len, "%zu KB", kb);
}

static int list(int as_json)
{
    mote_profile *v = NULL;
    size_t n = 0;
    char err[768];
    if (mote_profile_list(&v, &n, err, sizeof err)) {
        fprintf(stderr, "mote targets: %s\n", err);
        return 1;
    }
    if (as_json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(arr, profile_json(&v[i]));
        free(v);
        return print_json(arr);
    }
    if (!n) {
        printf("no device profiles in $MOTE_TARGETS_PATH or %s\n", mote_profile_builtin_dir());
        free(v);
        return 0;
    }
    printf("%-14s %-14s %9s %9s %9s  %-20s %s\n", "name", "core", "clock", "RAM", "flash", "features", "emulator");
    for (size_t i = 0; i < n; i++) {
        char feats[128], ram[32], flash[32], clock[32];
        mote_profile_features_str(&v[i], feats, sizeof feats);
        size_str(v[i].ram_kb, ram, sizeof ram);
        size_str(v[i].flash_kb, flash, sizeof flash);
        snprintf(clock, sizeof clock, "%u MHz", v[i].clock_mhz);
        printf("%-14s %-14s %9s %9s %9s  %-20s %s\n", v[i].name, mote_core_name(v[i].core), clock, ram, flash,
               feats[0] ? feats : "-", v[i].emulator);
    }
    free(v);
    return 0;
}

static int show(const char *name, int as_json)
{
    mote_profile p;
    char err[768];
    if (mote_profile_find(name, &p, err, sizeof err)) {
        fprintf(stderr, "mote targets: %s\n", err);
        return 1;
    }
    if (as_json) return print_json(profile_json(&p));
    char feats[128];
    mote_profile_features_str(&p, feats, sizeof feats);
    printf("name       %s\n", p.name);
    printf("board      %s\n", p.board);
    printf("core       %s%s\n", mote_core_name(p.core), mote_profile_is_mcu(&p) ? " (Cortex-M)" : "");
    printf("features   %s\n", feats[0] ? feats : "-");
    printf("clock      %u MHz\n", p.clock_mhz);
    if (p.ram_kb) printf("RAM        %zu KB (%zu bytes)\n", p.ram_kb, p.ram_kb * 1024);
    else printf("RAM        not limited\n");
    if (p.flash_kb) printf("flash      %zu KB (%zu bytes)\n", p.flash_kb, p.flash_kb * 1024);
    else printf("flash      not limited\n");
    printf("stack      %zu KB kept outside the model\n", p.stack_kb);
    printf("pointers   %d bytes\n", p.ptr_bytes);
    printf("toolchain  %s\n", p.toolchain);
    printf("cflags     %s\n", p.cflags[0] ? p.cflags : "-");
    printf("emulator   %s\n", p.emulator);
    printf("file       %s\n", p.path);
    return 0;
}

int cmd_targets(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help(stdout);
        return 0;
    }
    int as_json = 0, is_show = 0;
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) as_json = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "mote targets: unknown option %s\n", argv[i]);
            return 2;
        } else if (!is_show && !name && !strcmp(argv[i], "show")) is_show = 1;
        else if (is_show && !name) name = argv[i];
        else {
            fprintf(stderr, "mote targets: unexpected argument %s (see 'mote targets --help')\n", argv[i]);
            return 2;
        }
    }
    if (is_show && !name) {
        fprintf(stderr, "mote targets show: missing NAME (see 'mote targets --help')\n");
        return 2;
    }
    return is_show ? show(name, as_json) : list(as_json);
}
