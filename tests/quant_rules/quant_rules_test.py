#!/usr/bin/env python3
"""The importer and kernels follow TFLite Micro's rules for quantization
parameters. Each case patches a real model (patch_model.py) to show one rule:
a model TFLM accepts must give the golden outputs byte for byte, a model TFLM
refuses (or whose arithmetic is undefined) must fail with exit 1 and a
one-line error naming the tensor and the field.

usage: quant_rules_test.py MOTE SHARED_DIR WORK_DIR
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from patch_model import Model  # noqa: E402

MOTE, SHARED, WORK = sys.argv[1:4]
MODELS = {"kws": "mlperf-tiny/kws_int8", "ic": "mlperf-tiny/ic_resnet8_int8",
          "ad": "mlperf-tiny/ad_autoencoder_int8"}
GOLDEN = {"kws": "kws_int8", "ic": "ic_resnet8_int8", "ad": "ad_autoencoder_int8"}
results = {"passed": 0, "failed": 0}


def load(model):
    return Model(os.path.join(SHARED, "models", MODELS[model] + ".tflite"))


def conv_biases(m):
    return m.inputs_of("CONV_2D", 2) + m.inputs_of("DEPTHWISE_CONV_2D", 2)


def filters(m):
    return m.inputs_of("CONV_2D", 1) + m.inputs_of("DEPTHWISE_CONV_2D", 1)


def report(name, ok, why=""):
    results["passed" if ok else "failed"] += 1
    print("%s: %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else " -- " + why))


def run(path, vector, out):
    p = subprocess.run([MOTE, "run", path, "--input", vector, "--output", out], capture_output=True, text=True)
    return p.returncode, p.stderr


def save(name, model, edit):
    m = load(model)
    edit(m)
    path = os.path.join(WORK, name + ".tflite")
    m.save(path)
    return path


def accept(name, model, edit, verify=False):
    """TFLM runs the patched model: every golden vector must come out the same."""
    path = save(name, model, edit)
    gold = os.path.join(SHARED, "golden", GOLDEN[model])
    out = os.path.join(WORK, name + ".out")
    for k in range(16):
        rc, err = run(path, os.path.join(gold, "in_%02d.bin" % k), out)
        if rc != 0:
            return report(name, False, "exit %d: %s" % (rc, err.strip()))
        if open(out, "rb").read() != open(os.path.join(gold, "out_%02d.bin" % k), "rb").read():
            return report(name, False, "vector %d differs from the golden output" % k)
    if verify:  # the .mote file and the C package round-trip what the importer kept
        work = os.path.join(WORK, name + ".verify")
        shutil.rmtree(work, ignore_errors=True)
        p = subprocess.run([MOTE, "verify", path, "--target", "host", "--format", "both", "--inputs", gold,
                            "--json", "--work", work], capture_output=True, text=True)
        try:
            o = json.loads(p.stdout)
            good = all(r["bit_exact"] and r["golden_vectors_equal"] == r["golden_vectors_checked"] == 16
                       for r in (o, o["mote"]))
        except (ValueError, KeyError):
            good = False
        if p.returncode != 0 or not good:
            return report(name, False, "verify --target host: exit %d %s" % (p.returncode, p.stderr.strip()))
    report(name, True)


def refuse(name, model, edit, regex):
    """TFLM refuses it, or its arithmetic is undefined: exit 1, one line naming tensor and field."""
    path = save(name, model, edit)
    rc, err = run(path, os.path.join(SHARED, "golden", GOLDEN[model], "in_00.bin"), os.path.join(WORK, "refused"))
    lines = err.strip().splitlines()
    if rc != 1 or len(lines) != 1 or not re.search(regex, lines[0]):
        return report(name, False, "exit %d, stderr %r, wanted /%s/" % (rc, err, regex))
    report(name, True)


def each(tensors, fn):
    def edit(m):
        for t in tensors(m):
            fn(m, t)
    return edit


def scaled(factor):
    return lambda m, t: m.set_quant(t, scale=[s * factor for s in m.quant(t)[0]])


def first_conv_filter(m):
    return m.inputs_of("CONV_2D", 1)[:1]


def pointwise_filters(m):
    return [t for t in m.inputs_of("CONV_2D", 1) if m.shape(t)[1:3] == [1, 1]]


def fc_bias_scale(slack):
    """The FC bias scale moved `slack` output steps away from input scale * weights scale."""
    def edit(m):
        name, ins, outs = [op for op in m.ops() if op[0] == "FULLY_CONNECTED"][0]
        i, w, o = (m.quant(t)[0][0] for t in (ins[0], ins[1], outs[0]))
        m.set_quant(ins[2], scale=[i * w + slack * o])
    return edit


def int64_bias(m, t):
    values = m.const_values(t, "i")
    m.set_type_and_data(t, 4, struct.pack("<%dq" % len(values), *values))


os.makedirs(WORK, exist_ok=True)
T = r"tensor \d+ \([^)]*\)"

# -- per-channel axis: TFLM checks it only on the filter of a per-channel kernel
accept("bias_quantized_dimension_3_kws", "kws", each(conv_biases, lambda m, t: m.set_quant(t, dim=3)), verify=True)
accept("bias_quantized_dimension_3_ic", "ic", each(conv_biases, lambda m, t: m.set_quant(t, dim=3)), verify=True)
accept("bias_8_scales_on_quantized_dimension_3", "kws", each(conv_biases, lambda m, t: m.set_quant(
    t, scale=m.quant(t)[0][:8], zero_point=m.quant(t)[1][:8], dim=3)))
accept("activation_scales_not_indexing_its_shape", "kws", each(
    lambda m: [22, 33], lambda m, t: m.set_quant(t, scale=m.quant(t)[0] + [1.0, 2.0], zero_point=m.quant(t)[1] * 3,
                                                 dim=3)))
accept("pointwise_filter_on_quantized_dimension_3", "kws", each(pointwise_filters, lambda m, t: m.set_quant(t, dim=3)))
accept("filter_quantized_dimension_0_explicit", "kws", each(
    lambda m: m.inputs_of("CONV_2D", 1), lambda m, t: m.set_quant(t, dim=0)))
accept("filter_quantized_dimension_absent_is_0", "ic", each(
    lambda m: m.inputs_of("CONV_2D", 1), lambda m, t: m.set_quant(t, dim=None)))
refuse("filter_quantized_dimension_3_of_size_1", "kws", each(first_conv_filter, lambda m, t: m.set_quant(t, dim=3)),
       T + r": conv filter scale .*quantized_dimension")
refuse("depthwise_filter_without_quantized_dimension", "kws", each(
    lambda m: m.inputs_of("DEPTHWISE_CONV_2D", 1)[:1], lambda m, t: m.set_quant(t, dim=None)),
       T + r": conv filter scale .*quantized_dimension")
refuse("filter_quantized_dimension_out_of_range", "ic", each(first_conv_filter, lambda m, t: m.set_quant(t, dim=7)),
       T + r": conv filter scale .*quantized_dimension")
refuse("filter_quantized_dimension_negative", "ic", each(first_conv_filter, lambda m, t: m.set_quant(t, dim=-1)),
       T + r": conv filter scale .*quantized_dimension")

# -- scale counts
refuse("filter_8_scales_for_64_channels", "kws", each(pointwise_filters, lambda m, t: m.set_quant(
    t, scale=m.quant(t)[0][:8], zero_point=m.quant(t)[1][:8])), T + r": conv filter scale .*quantized_dimension")
refuse("negative_scale", "kws", lambda m: m.set_quant(0, scale=[-0.5]), r"tensor 0 \(input_1\): .*scale")

# -- zero points
accept("one_zero_point_for_all_channels", "kws", each(filters, lambda m, t: m.set_quant(t, zero_point=[0])))
accept("zero_point_count_neither_1_nor_scales", "kws", each(filters, lambda m, t: m.set_quant(t, zero_point=[0] * 3)))
accept("filter_zero_points_not_zero", "kws", each(filters, lambda m, t: m.set_quant(
    t, zero_point=[c % 7 - 3 for c in range(len(m.quant(t)[0]))])))
accept("bias_zero_point_beyond_int32", "kws", each(conv_biases, lambda m, t: m.set_quant(
    t, zero_point=[1 << 40] * len(m.quant(t)[0]))))
refuse("int8_zero_point_out_of_range", "kws", lambda m: m.set_quant(0, zero_point=[300]),
       r"tensor 0 \(input_1\): zero_point 300 out of range")

# -- missing quantization: a tensor needs both scale and zero_point (else it is not quantized)
accept("bias_without_quantization", "kws", each(conv_biases, lambda m, t: m.drop_quant(t)))
accept("bias_scales_without_zero_points", "kws", each(conv_biases, lambda m, t: m.set_quant(t, zero_point=None)))
accept("bias_empty_quantization_table", "ic", each(conv_biases, lambda m, t: m.set_quant(
    t, scale=None, zero_point=None, dim=None)))
refuse("filter_scales_without_zero_points", "kws", each(first_conv_filter, lambda m, t: m.set_quant(
    t, zero_point=None)), T + r": conv int8 filter is not quantized \(no scale or zero_point\)")
refuse("input_without_quantization", "ic", lambda m: m.drop_quant(0),
       r"tensor 0 \(input_1_int8\): conv int8 input is not quantized \(no scale or zero_point\)")
accept("custom_quantization_details_ignored", "kws", each(
    lambda m: [0] + filters(m), lambda m, t: m.set_quant(t, details_type=1)))

# -- bias scale = input scale x filter scale: conv does not check it, per-tensor FC within 0.02 output steps
accept("conv_bias_scale_unrelated", "ic", each(conv_biases, scaled(1000.0)))
accept("fc_bias_scale_within_0.02", "ad", fc_bias_scale(0.019))
refuse("fc_bias_scale_beyond_0.02", "ad", fc_bias_scale(0.021), T + r": FULLY_CONNECTED bias scale differs")
accept("fc_bias_without_quantization_ratio_0.005", "kws", lambda m: m.drop_quant(m.inputs_of("FULLY_CONNECTED", 2)[0]))
# TFLM checks an unquantized bias as scale 0 and refuses this one (0.023 > 0.02); mote adds it as stored
accept("fc_bias_without_quantization_ratio_0.023", "ic", lambda m: m.drop_quant(m.inputs_of("FULLY_CONNECTED", 2)[0]))

# -- bias types: int32 with int8 activations
refuse("int64_bias_with_int8_conv", "kws", each(lambda m: m.inputs_of("CONV_2D", 2)[:1], int64_bias),
       T + r": conv int8 bias must be int32")

print("quant_rules: %d passed, %d failed" % (results["passed"], results["failed"]))
sys.exit(1 if results["failed"] else 0)
