#!/usr/bin/env bash
# The PTQ goal of the compression issue: mote quantize on the float MLPerf Tiny models, calibrated on part
# of their eval data and scored on the rest, against the official int8 models on the same samples.
# Two folds (odd / even rows of y_labels.csv): calibrate on one, score on the other, then swap, so every
# sample is scored once by a model that never saw it.
#   bench/quantize_ptq.sh [METHOD...]      (default: auto minmax)
set -euo pipefail
cd "$(dirname "$0")/.."
MOTE=${MOTE:-build/bin/mote}
SHARED=$(realpath "${SHARED:-../shared}")
M=$SHARED/models/mlperf-tiny
E=$SHARED/data/mlperf-tiny-eval
methods=("${@:-auto}")
[ $# -gt 0 ] || methods=(auto minmax)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fold DIR SET K: a folder of symlinks whose y_labels.csv holds the rows with row % 2 == K
fold() {
    mkdir -p "$work/$2$3"
    ln -sf "$E/$2"/*.bin "$work/$2$3/"
    awk -v k="$3" 'NR % 2 == k' "$E/$2/y_labels.csv" >"$work/$2$3/y_labels.csv"
}
correct() { "$MOTE" classify "$@" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["correct"])'; }

printf '%-18s %7s %11s %11s' model samples float official_int8
for m in "${methods[@]}"; do printf ' %13s' "mote_$m"; done
printf '\n'
# model set input-options-float input-options-official-int8
run() {
    local name=$1 set=$2 fopt=$3 qopt=$4
    fold "$set" "$set" 0
    fold "$set" "$set" 1
    local n; n=$(wc -l <"$E/$set/y_labels.csv")
    local f q; f=$(correct "$M/${name}_float32.tflite" "$E/$set" $fopt)
    q=$(correct "$M/${name}_int8.tflite" "$E/$set" $qopt)
    printf '%-18s %7d %10.2f%% %10.2f%%' "$name" "$n" "$(bc -l <<<"100*$f/$n")" "$(bc -l <<<"100*$q/$n")"
    for meth in "${methods[@]}"; do
        local c=0
        for k in 0 1; do
            "$MOTE" quantize "$M/${name}_float32.tflite" --calib "$work/$set$k" $fopt --limit 100000 --method "$meth" \
                -o "$work/q.tflite" --quiet >/dev/null
            c=$((c + $(correct "$work/q.tflite" "$work/$set$((1 - k))" $fopt)))
        done
        printf ' %12.2f%%' "$(bc -l <<<"100*$c/$n")"
    done
    printf '\n'
}
run kws kws01 "--from i8 --in-scale 0.5847029 --in-zero-point 83" "--from raw"
run ic_resnet8 ic01 "--from u8" "--from u8"
run vww_mobilenet_96 vww01 "--from u8 --in-scale 0.00392156862745098" "--from u8 --in-scale 0.00392156862745098"

# AD (autoencoder): AUC of the per-file reconstruction error, the mean over the two folds for every model
auc() { "$MOTE" classify "$@" --from f32 --anomaly --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["auc"])'; }
fold ad01 ad01 0
fold ad01 ad01 1
mean() { python3 -c "import sys; print('%.4f' % ((float(sys.argv[1]) + float(sys.argv[2])) / 2))" "$@"; }
printf '\n%-18s %7s %11s %11s' model files float official_int8
for m in "${methods[@]}"; do printf ' %13s' "mote_$m"; done
printf '\n%-18s %7d %11s %11s' ad_autoencoder "$(wc -l <"$E/ad01/y_labels.csv")" \
    "$(mean "$(auc "$M/ad_autoencoder_float32.tflite" "$work/ad010")" "$(auc "$M/ad_autoencoder_float32.tflite" "$work/ad011")")" \
    "$(mean "$(auc "$M/ad_autoencoder_int8.tflite" "$work/ad010")" "$(auc "$M/ad_autoencoder_int8.tflite" "$work/ad011")")"
for meth in "${methods[@]}"; do
    a=()
    for k in 0 1; do
        "$MOTE" quantize "$M/ad_autoencoder_float32.tflite" --calib "$work/ad01$k" --from f32 --method "$meth" \
            -o "$work/q.tflite" --quiet >/dev/null
        a+=("$(auc "$work/q.tflite" "$work/ad01$((1 - k))")")
    done
    printf ' %13s' "$(mean "${a[@]}")"
done
printf '\n(AD: AUC, the mean of the two folds)\n'

