#!/usr/bin/env bash
# Low-bit weights (issue 13): int8 vs int4 (or, BITS=1, binary) twins of the MLPerf Tiny KWS and
# ResNet-8 models.
#   bench/lowbit.sh [MOTE] [SHARED] [OUT_DIR]         BITS=1 bench/lowbit.sh ...: binary weights
# For each model it makes the int4 twin with build/bin/lowbit_tool (every CONV_2D,
# DEPTHWISE_CONV_2D and FULLY_CONNECTED filter to int4, compiler/quant/lowbit.c), then per
# core (CORES, default: cortex-m4f on nucleo-l4r5zi; add e.g. "cortex-m7:stm32f746
# cortex-m33:stm32u575 x86_64:host") and kernel set K (SETS, default "opt ref") runs
#   mote verify MODEL --target P --kernels K --format c --json --layers --inputs in_00.bin
#   mote inspect MODEL --target P --kernels K --json     (kernel, executed MACs, outputs per node)
# and prints: flash (C package weights bytes as mote inspect counts them, and the verify
# firmware's flash), instructions per inference, and per kernel the instructions per executed
# MAC of int8 vs int4 layers (layer marks of 9 instructions subtracted), plus a fitted cost
# line (a per MAC, b per output, c per call, w per window position; non-negative least squares
# as bench/calibrate_cost.sh) for each int4 kernel, in the
# format of targets/cost/*.cost. Output: a Markdown report on stdout; raw JSON kept in OUT_DIR
# (REPORT_ONLY=1 with an existing OUT_DIR: the report again, no measuring).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
mote=${1:-$here/build/bin/mote}
shared=${2:-$here/../shared}
out=${3:-$(mktemp -d /tmp/mote-lowbit-XXXXXX)}
tool=$(dirname "$mote")/lowbit_tool
models=${MODELS:-"kws_int8 ic_resnet8_int8"}
cores=${CORES:-"cortex-m4f:nucleo-l4r5zi"}
sets=${SETS:-"opt ref"}
bits=${BITS:-4}
lb=int4 sfx=_s4
[ "$bits" = 1 ] && lb=binary sfx=_s1
mkdir -p "$out/boot"
[ -n "${REPORT_ONLY:-}" ] || {
for m in $models; do
  "$tool" "$shared/models/mlperf-tiny/$m.tflite" "$out/${m}_w$bits.tflite" --bits "$bits" > "$out/${m}_w$bits.txt"
done
for spec in $cores; do
  core=${spec%%:*} prof=${spec#*:}
  printf 'core %s\ncpi 1\ninvoke 0\nfallback 0 0 0 0 0 0 0\n' "$core" > "$out/boot/$core.cost"
  for m in $models; do
    in=$(ls "$shared/golden/$m"/in_*.bin | head -n 1)
    for v in int8 $lb; do
      f=$shared/models/mlperf-tiny/$m.tflite
      [ $v = $lb ] && f=$out/${m}_w$bits.tflite
      for k in $sets; do
        echo "measuring $m $v on $prof, kernels $k" >&2
        MOTE_COST_DIR=$out/boot "$mote" inspect "$f" --target "$prof" --kernels "$k" --json > "$out/$core.$m.$v.$k.inspect.json"
        "$mote" inspect "$f" --target "$prof" --kernels "$k" --json > "$out/$core.$m.$v.$k.fit.json"
        "$mote" verify "$f" --target "$prof" --kernels "$k" --format c --json --layers --inputs "$in" \
          > "$out/$core.$m.$v.$k.layers.json"
      done
    done
  done
done
}
python3 - "$out" "$models" "$cores" "$sets" "$lb" "$sfx" <<'PY'
import json, sys, itertools
out, models, cores, sets = sys.argv[1], sys.argv[2].split(), [c.split(':') for c in sys.argv[3].split()], sys.argv[4].split()
LB, SFX = sys.argv[5], sys.argv[6]
MARK = 9.0
def load(p): return json.load(open(p))
print('## Flash and instructions (C package)\n')
print(f'| core | model | kernels | weights bytes int8 | {LB} | firmware flash int8 | {LB} | instructions int8 | {LB} | ratio |')
print('|---|---|---|---:|---:|---:|---:|---:|---:|---:|')
layers = {}   # (core, kernel) -> list of (macs, outs, insns)
permac = {}   # (core, set, op type) -> {'int8': [insns, macs], LB: [...]}
for core, prof in cores:
    for m in models:
        for k in sets:
            row = {}
            for v in ('int8', LB):
                ins = load(f'{out}/{core}.{m}.{v}.{k}.inspect.json')
                fit = load(f'{out}/{core}.{m}.{v}.{k}.fit.json')
                ver = load(f'{out}/{core}.{m}.{v}.{k}.layers.json')
                assert ver['bit_exact'], (core, m, v, k)
                row[v] = (fit['fit']['c']['weights_bytes'], ver['flash_bytes'],
                          ver['instructions_per_inference'] - MARK * len(ver['layers']))
                for node, lay in zip(ins['estimate']['per_op'], ver['layers']):
                    n = lay['instructions'] - MARK
                    kern = node['kernel']
                    if SFX in kern or v == LB and node['type'] in ('CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'):
                        layers.setdefault((core, kern), []).append(
                            (node['executed_macs'], node['output_elements'], node['window_positions'], n))
                    if node['type'] in ('CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'):
                        a = permac.setdefault((core, k, node['type']), {}).setdefault(v, [0, 0, set()])
                        a[0] += n; a[1] += node['executed_macs']; a[2].add(kern)
            print(f"| {core} | {m} | {k} | {row['int8'][0]:,} | {row[LB][0]:,} | {row['int8'][1]:,} | {row[LB][1]:,} "
                  f"| {row['int8'][2]:,.0f} | {row[LB][2]:,.0f} | {row[LB][2] / row['int8'][2]:.3f} |")
print('\n## Instructions per executed MAC, all layers of the op type over the models\n')
print(f'| core | kernels | op | int8 kernel(s) | insns/MAC | {LB} kernel(s) | insns/MAC |')
print('|---|---|---|---|---:|---|---:|')
for (core, k, t), d in sorted(permac.items()):
    if 'int8' in d and LB in d:
        i8, i4 = d['int8'], d[LB]
        print(f"| {core} | {k} | {t} | {', '.join(sorted(i8[2]))} | {i8[0] / i8[1]:.3f} | {', '.join(sorted(i4[2]))} | {i4[0] / i4[1]:.3f} |")
print('\n## Cost lines (a per MAC, b per output, c per call, w per window position; NNLS over the layers above)\n')
def lsq(A, y):
    """Least squares by the normal equations (Gauss-Jordan); None if singular."""
    k = len(A[0])
    sc = [max(abs(r[j]) for r in A) or 1.0 for j in range(k)]
    N = [[sum(r[i] * r[j] / sc[i] / sc[j] for r in A) for j in range(k)] + [sum(r[i] / sc[i] * v for r, v in zip(A, y))]
         for i in range(k)]
    for i in range(k):
        piv = max(range(i, k), key=lambda q: abs(N[q][i]))
        if abs(N[piv][i]) < 1e-9:
            return None
        N[i], N[piv] = N[piv], N[i]
        for q in range(k):
            if q != i:
                f = N[q][i] / N[i][i]
                N[q] = [u - f * v for u, v in zip(N[q], N[i])]
    return [N[i][k] / N[i][i] / sc[i] for i in range(k)]
def fit(rows):
    """The non-negative fit of a*MACs + b*outputs + c + w*windows with the least squared error,
    over term subsets of at most 4 terms from 8 layers, 3 from 6, 2 from 3, else 1 (as calibrate_cost.sh)."""
    feats = [(r[0], r[1], 1.0, r[2]) for r in rows]
    y = [r[3] for r in rows]
    most = 4 if len(rows) >= 8 else 3 if len(rows) >= 6 else 2 if len(rows) >= 3 else 1
    # from fewer than 3 layers the per-MAC term alone: a constant fitted on two small layers would not scale
    terms = range(4) if len(rows) >= 3 else (0,)
    best = None
    for size in range(1, most + 1):
        for cols in itertools.combinations(terms, size):
            x = lsq([[f[j] for j in cols] for f in feats], y)
            if x is None or min(x) < 0:
                continue
            coef = [0.0] * 4
            for j, v in zip(cols, x):
                coef[j] = v
            sse = sum((sum(c * u for c, u in zip(coef, f)) - t) ** 2 for f, t in zip(feats, y))
            if best is None or sse < best[0]:
                best = (sse, coef)
    coef = best[1]
    rel = [abs(sum(c * u for c, u in zip(coef, f)) - t) / t * 100 for f, t in zip(feats, y)]
    return coef, (sum(e * e for e in rel) / len(rel)) ** 0.5, max(rel)
for (core, kern), rows in sorted(layers.items()):
    if SFX not in kern: continue
    uniq = sorted(set(rows))
    (a, b, c, w), rms, mx = fit(uniq)
    print(f"{core}: kernel {kern:<22} {a:>14.9f} {b:>13.6f} {c:>13.4f} {w:>13.6f} {len(uniq):>7} {rms:>8.2f} {mx:>8.2f}")
PY
echo "raw JSON in $out" >&2
