/* mote: entry point and command dispatch. Exit codes: 0 success, 1 failure
 * (bad model, bad input, mismatch), 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"inspect", cmd_inspect, "show a model's operators, shapes, MACs and memory"},
    {"run", cmd_run, "run a model on raw input bytes and write raw output bytes"},
    {"classify", cmd_classify, "classify a labelled folder of inputs, print predictions and accuracy"},
    {"quantize", cmd_quantize, "quantize a float model to int8, calibrated on real data"},
    {"prune", cmd_prune, "remove whole channels from a float model and fine-tune it on a dataset"},
    {"automl", cmd_automl, "search front ends and architectures for the best model that fits a device"},
    {"train", cmd_train, "train a classifier on a dataset: int8 + float TFLite with the front end, report"},
    {"eval", cmd_eval, "score a model on a dataset's test split: accuracy, per-class metrics, confusion"},
    {"plan", cmd_plan, "show the arena plan: execution order, live memory per op, strategies"},
    {"compile", cmd_compile, "compile a model for a device: C package and/or .mote file"},
    {"verify", cmd_verify, "run the compiled model on the device (or its emulator), compare bit for bit, measure"},
    {"bench", cmd_bench, "measure instructions per inference and per layer on the device (or emulator), vs TFLM"},
    {"targets", cmd_targets, "list the device profiles, or show one"},
    {"serve", cmd_serve, "run moted: model repository, compile and roll-out service for devices"},
    {"model", cmd_model, "moted client: push, list, show and pull model versions"},
    {"alerts", cmd_alerts, "moted client: drift alerts of deployed model versions by device group"},
    {"sampling", cmd_sampling, "moted client: which device groups send low-confidence inputs back"},
    {"samples", cmd_samples, "moted client: list, pull and label the inputs devices sent back; make a dataset"},
    {"dataset", cmd_dataset, "moted client: push a dataset folder as a version, list, show, pull"},
    {"device", cmd_device, "moted client: list, show and tag registered devices"},
    {"deploy", cmd_deploy, "moted client: roll a model version out to a device group, watch, promote, roll back"},
    {"device-sim", cmd_device_sim, "simulate N devices running the device agent against a moted server"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mote COMMAND [ARGS]\n\nTinyML models on microcontrollers: import, inspect, run.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n'mote COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "mote: unknown command '%s' (see 'mote --help')\n", argv[1]);
    return 2;
}
