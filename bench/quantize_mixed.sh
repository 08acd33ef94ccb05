#!/usr/bin/env bash
# Mixed precision on nrf52840 (mote quantize --bits auto --target nrf52840 --max-drop 1): the MLPerf Tiny
# float models calibrated on the odd rows of their eval set, scored on the even rows. For each model: uniform
# int8, uniform int4 and the chosen mixed model, each with its held-out accuracy, flash (weights + code, C
# package) and the cost model's latency; then how many of the search's front points beat a uniform model
# on both accuracy (calibration samples) and flash.
#   bench/quantize_mixed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MOTE=${MOTE:-build/bin/mote}
SHARED=$(realpath "${SHARED:-../shared}")
M=$SHARED/models/mlperf-tiny
E=$SHARED/data/mlperf-tiny-eval
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fold() {
    mkdir -p "$work/$1$2"
    ln -sf "$E/$1"/*.bin "$work/$1$2/"
    awk -v k="$2" 'NR % 2 == k' "$E/$1/y_labels.csv" >"$work/$1$2/y_labels.csv"
}
acc() { "$MOTE" classify "$@" --json | python3 -c 'import json,sys; print("%.2f" % (100 * json.load(sys.stdin)["accuracy"]))'; }
est() { "$MOTE" inspect "$1" --target nrf52840 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); f=d["fit"]["c"]; print(f["weights_bytes"] + f["code_bytes"], "%.2f" % d["estimate"]["ms"])'; }
echo "| model | variant | held-out accuracy | flash bytes | est. ms | note |"
echo "|---|---|---|---|---|---|"
run() {
    local name=$1 set=$2 opt=$3
    fold "$set" 1
    fold "$set" 0
    local t0; t0=$(date +%s)
    "$MOTE" quantize "$M/${name}_float32.tflite" --calib "$work/${set}1" $opt --limit 100000 --bits auto --target nrf52840 \
        --max-drop 1 -o "$work/mixed.tflite" --json --quiet > "$work/mixed.json"
    local secs=$(( $(date +%s) - t0 ))
    "$MOTE" quantize "$M/${name}_float32.tflite" --calib "$work/${set}1" $opt --limit 100000 -o "$work/int8.tflite" --quiet > /dev/null
    "$MOTE" quantize "$M/${name}_float32.tflite" --calib "$work/${set}1" $opt --limit 100000 --bits 4 -o "$work/int4.tflite" --quiet > /dev/null
    for v in int8 int4 mixed; do
        read -r fl ms < <(est "$work/$v.tflite")
        note=""
        [ "$v" = mixed ] && note=$(python3 - "$work/mixed.json" "$secs" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["mixed"]
pts = d["points"]
u8 = next(p for p in pts if p["label"] == "uniform int8")
u4 = next(p for p in pts if p["label"] == "uniform int4")
front = [p for p in pts if p["pareto"] and p["label"] == "mixed"]
b8 = sum(1 for p in front if p["accuracy"] >= u8["accuracy"] and p["flash"] < u8["flash"])
b4 = sum(1 for p in front if p["accuracy"] > u4["accuracy"] and p["flash"] < u8["flash"])
ch = pts[d["chosen"]]
print(f"{len(ch['int4_ops'])} of {len(d['layers'])} layers int4; front: {b8} mixed points as accurate as int8 with less flash, "
      f"{b4} more accurate than int4 with less flash than int8 (calibration half); search {sys.argv[2]} s")
PY
)
        echo "| $name | $v | $(acc "$work/$v.tflite" "$work/${set}0" $opt) % | $fl | $ms | $note |"
    done
}
run kws kws01 "--from i8 --in-scale 0.5847029 --in-zero-point 83"
run ic_resnet8 ic01 "--from u8"
run vww_mobilenet_96 vww01 "--from u8 --in-scale 0.00392156862745098"
