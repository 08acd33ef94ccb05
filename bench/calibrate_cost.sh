#!/usr/bin/env bash
# Fit the latency cost model (docs/cost-model.md) from measured instruction counts:
#   bench/calibrate_cost.sh [MOTE] [SHARED] [OUT_DIR]
# For each measured core (profile in brackets): cortex-m4f (nucleo-l4r5zi), cortex-m7
# (stm32f746), cortex-m33 (stm32u575) under QEMU, x86_64 (host) under callgrind, and
# each int8 MLPerf Tiny model, it runs
#   mote verify MODEL --target P --format c --json --inputs in_00.bin [--layers]
# (with and without --layers: the difference is the cost of the layer marks), reads
# every node's kernel, executed MACs, output elements and window positions from
# `mote inspect --target P --json`, fits per kernel
#   instructions = a*MACs + b*output_elements + c + w*window_positions
# (non-negative least squares), and writes OUT_DIR/<core>.cost (default targets/cost).
# It prints a report:
# fitted figures, estimate vs measured totals per model (the estimate comes from
# `mote inspect --target` with the new files, so the C side is checked too) and a
# leave-one-model-out check. Takes about a minute. KEEP=DIR keeps the raw JSON in DIR.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
mote=${1:-$here/build/bin/mote}
shared=${2:-$here/../shared}
out=${3:-$here/targets/cost}
models="kws_int8 vww_mobilenet_96_int8 ic_resnet8_int8 ad_autoencoder_int8"
cores="cortex-m4f:nucleo-l4r5zi cortex-m7:stm32f746 cortex-m33:stm32u575 x86_64:host"
work=${KEEP:-$(mktemp -d /tmp/mote-calibrate-XXXXXX)}
mkdir -p "$work/boot" "$out"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

for spec in $cores; do
  core=${spec%%:*} prof=${spec#*:}
  # a zero cost file so that inspect lists kernels, MACs and output elements
  printf 'core %s\ncpi 1\ninvoke 0\nfallback 0 0 0 0 0 0 0\n' "$core" > "$work/boot/$core.cost"
  for m in $models; do
    f=$shared/models/mlperf-tiny/$m.tflite
    in=$(ls "$shared/golden/$m"/in_*.bin | head -n 1)
    echo "measuring $m on $prof ($core)" >&2
    MOTE_COST_DIR=$work/boot "$mote" inspect "$f" --target "$prof" --json > "$work/$core.$m.inspect.json"
    "$mote" verify "$f" --target "$prof" --format c --json --inputs "$in" > "$work/$core.$m.total.json"
    "$mote" verify "$f" --target "$prof" --format c --json --layers --inputs "$in" > "$work/$core.$m.layers.json"
    if [ "$core" = x86_64 ]; then   # wall time of the same -O2 kernels, for the host CPI
      "$mote" run "$f" --input "$in" --output /dev/null --repeat 300 | awk '{print $2}' > "$work/$core.$m.us"
    fi
  done
done

python3 - "$work" "$out" "$mote" "$shared" "$models" "$cores" <<'PY'
import json, os, subprocess, sys, datetime, itertools, statistics, textwrap
work, out, mote, shared, models, cores = sys.argv[1:7]
models, cores = models.split(), [c.split(':') for c in cores.split()]

# Cycles per instruction: QEMU and callgrind count instructions, not cycles. Assumptions
# for the Cortex-M cores (none was measured: no boards here), see docs/cost-model.md.
CPI = {
    'cortex-m4f': (1.4, 'assumed, not measured: Cortex-M4 TRM timings (1-cycle ALU/MAC, 2-cycle loads, '
                        'branches 1+refill) give 1.2-1.6 for these load-heavy loops; 1.4 is the middle'),
    'cortex-m7': (1.0, 'assumed, not measured: dual-issue 6-stage pipeline; caches/TCM on, flash wait '
                       'states hidden; between 0.7 and 1.3 for these kernels'),
    'cortex-m33': (1.4, 'assumed, not measured: 3-stage pipeline with Cortex-M4-like timings; same range'),
}

def load(core, m, kind):
    with open(f'{work}/{core}.{m}.{kind}.json') as f:
        return json.load(f)

# ---- gather: one row per layer (core, model, kernel, macs, outs, instructions) ----
data, totals, marks = {}, {}, {}
for core, prof in cores:
    rows, ov = [], []
    for m in models:
        ins, tot, lay = load(core, m, 'inspect'), load(core, m, 'total'), load(core, m, 'layers')
        per, layers = ins['estimate']['per_op'], lay['layers']
        assert len(per) == len(layers), (core, m, 'node count differs')
        t0, t1 = tot['instructions_per_inference'], lay['instructions_per_inference']
        ov.append((t1 - t0) / (len(layers) + 1))        # one mark per layer + one after the last
        totals[core, m] = t0
        for p, l in zip(per, layers):
            assert p['layer'] == l['layer'] and p['op'] == l['file_op'], (core, m, p, l)
            rows.append(dict(model=m, kernel=p['kernel'], macs=p['executed_macs'], outs=p['output_elements'],
                             win=p['window_positions'], raw=l['instructions']))
    marks[core] = statistics.mean(ov)
    spread = max(ov) - min(ov)
    assert spread < 2, (core, 'mark cost differs between models', ov)
    for r in rows:
        r['y'] = r['raw'] - marks[core]                  # the kernel without its mark
    data[core] = rows

# ---- non-negative least squares over the subsets of {a, b, c, w} ----
def solve(A, y):
    """Least squares by normal equations, columns scaled; None if singular."""
    k = len(A[0])
    s = [max(abs(r[j]) for r in A) or 1.0 for j in range(k)]
    N = [[sum(r[i] / s[i] * r[j] / s[j] for r in A) for j in range(k)] + [sum(r[i] / s[i] * v for r, v in zip(A, y))]
         for i in range(k)]
    for i in range(k):
        p = max(range(i, k), key=lambda r: abs(N[r][i]))
        if abs(N[p][i]) < 1e-9 * max(1.0, max(abs(N[r][r]) for r in range(k))):
            return None
        N[i], N[p] = N[p], N[i]
        for r in range(k):
            if r != i:
                f = N[r][i] / N[i][i]
                N[r] = [x - f * z for x, z in zip(N[r], N[i])]
    return [N[i][k] / N[i][i] / s[i] for i in range(k)]

def features(r):
    return (r['macs'], r['outs'], 1.0, r['win'])

def fit(rows, terms=(0, 1, 2, 3)):
    """[a, b, c, w]: the best non-negative least-squares fit with at most 4 terms from
    8 layers up, 3 from 6, 2 from 3, else 1. A column that is zero or collinear with
    another in the data (e.g. MACs of an element-wise op) leaves its subsets out."""
    n = len(rows)
    most = 4 if n >= 8 else 3 if n >= 6 else 2 if n >= 3 else 1
    best = None
    for size in range(1, min(most, len(terms)) + 1):
        for cols in itertools.combinations(terms, size):
            A = [[features(r)[j] for j in cols] for r in rows]
            x = solve(A, [r['y'] for r in rows])
            if x is None or min(x) < 0:
                continue
            coef = [0.0, 0.0, 0.0, 0.0]
            for j, v in zip(cols, x):
                coef[j] = v
            sse = sum((est(coef, r) - r['y']) ** 2 for r in rows)
            if best is None or sse < best[0] * (1 - 1e-9):
                best = (sse, coef)
    return best[1] if best else [0.0, 0.0, 0.0, 0.0]

def est(coef, r):
    return sum(c * x for c, x in zip(coef, features(r)))

def errors(coef, rows):
    rel = [abs(est(coef, r) - r['y']) / max(r['y'], 1.0) * 100 for r in rows]
    return (sum(e * e for e in rel) / len(rel)) ** 0.5, max(rel)

def fit_core(rows):
    kernels = {}
    for r in rows:
        kernels.setdefault(r['kernel'], []).append(r)
    figs = {k: fit(v) for k, v in sorted(kernels.items())}
    # fallback: every layer pooled, without a per-call constant (it would charge a
    # small unknown op the overhead of a large convolution)
    return figs, kernels, fit(rows, (0, 1, 3))

def invoke_of(core, figs_rows, ms):
    return statistics.mean(totals[core, m] - sum(r['y'] for r in figs_rows if r['model'] == m) for m in ms)

def fallback_errors(core, fb):
    """Relative error of each model's total if every layer used the fallback."""
    rel = [abs(sum(est(fb, r) for r in data[core] if r['model'] == m) - totals[core, m]) / totals[core, m] * 100
           for m in models]
    return (sum(e * e for e in rel) / len(rel)) ** 0.5, max(rel)

def estimate(figs, fb, inv, rows):
    return inv + sum(est(figs.get(r['kernel'], fb), r) for r in rows)

host_cpi = None
if any(c == 'x86_64' for c, _ in cores):
    cpis = []
    for m in models:
        us = float(open(f'{work}/x86_64.{m}.us').read().split()[0])
        cpis.append(us * 1e-6 * 3000e6 / totals['x86_64', m])
    host_cpi = statistics.median(cpis)
    CPI['x86_64'] = (round(host_cpi, 3), 'measured on the calibration machine: median over the models of '
                     '(mote run --repeat 300 wall time x the nominal 3000 MHz) / callgrind instructions; '
                     'per model ' + ', '.join(f'{c:.3f}' for c in cpis) + '; machine-dependent')

today = datetime.date.today().isoformat()
report = []
for core, prof in cores:
    rows = data[core]
    figs, groups, fb = fit_core(rows)
    inv = invoke_of(core, rows, models)
    cpi, why = CPI[core]
    lines = [
        f'# mote cost model for {core}: instructions per call of each kernel variant',
        f'#   instructions = a * MACs + b * output_elements + c + w * window_positions',
        f'# Produced by bench/calibrate_cost.sh on {today} from per-layer counts of',
        f'#   mote verify MODEL --target {prof} --format c --json --layers --inputs <golden>/MODEL/in_00.bin',
        f'# for the int8 MLPerf Tiny models ({", ".join(models)}), with',
        f'# {"callgrind" if core == "x86_64" else "QEMU (TCG plugin)"} instruction counts of the generated C package at -O2.',
        f'# Each layer count includes one layer mark; {marks[core]:.1f} instructions per mark (measured:',
        f'# totals with and without --layers) are subtracted before fitting.',
        f'# Fit: non-negative least squares per kernel; up to 4 terms from 8 layers, 3 from 6, 2 from 3,',
        f'# else 1. MACs: executed (padding skipped); window_positions: (output element, filter or',
        f'# pool tap) pairs inside the input. See docs/cost-model.md.',
        f'# points = layers fitted; rms_pct / max_pct = relative residual on those layers (%).',
        f'core {core}',
        *textwrap.wrap(f'cycles per instruction: {why}', 96, initial_indent='# ', subsequent_indent='#   '),
        f'cpi {cpi}',
        f'# instructions per inference outside the layers (invoke entry/exit), mean over the models',
        f'invoke {max(inv, 0):.0f}',
    ]
    rms, mx = fallback_errors(core, fb)
    lines.append(f'# kernels without a line: one fit (no constant) over every layer of every kernel below;')
    lines.append(f'# its rms/max here are the errors of the model totals when every layer uses it')
    lines.append('#        a (per MAC)   b (per out)  c (per call)   w (per win)  points  rms_pct  max_pct')
    lines.append(f'fallback {fb[0]:11.9g} {fb[1]:13.9g} {fb[2]:13.9g} {fb[3]:13.9g} {len(rows):7d} {rms:8.2f} {mx:8.2f}')
    lines.append('#      name                 a (per MAC)   b (per out)  c (per call)   w (per win)  points  rms_pct  max_pct')
    for k, coef in figs.items():
        rms, mx = errors(coef, groups[k])
        lines.append(f'kernel {k:<20} {coef[0]:13.9g} {coef[1]:13.9g} {coef[2]:13.9g} {coef[3]:13.9g} '
                     f'{len(groups[k]):7d} {rms:8.2f} {mx:8.2f}')
    with open(f'{out}/{core}.cost', 'w') as f:
        f.write('\n'.join(lines) + '\n')
    report.append((core, prof, figs, groups, fb, inv))

# ---- report: figures, estimate vs measured (via mote inspect), leave-one-model-out ----
env = dict(os.environ, MOTE_COST_DIR=out)
print(f'## Fitted figures ({today})\n')
print('| core | kernel | a /MAC | b /output | c /call | w /window pos. | layers | rms % | max % |')
print('|---|---|---:|---:|---:|---:|---:|---:|---:|')
for core, prof, figs, groups, fb, inv in report:
    for k, coef in list(figs.items()) + [('(fallback)', fb)]:
        g = groups.get(k, data[core])
        rms, mx = errors(coef, g) if k in groups else fallback_errors(core, coef)
        print(f'| {core} | {k} | {coef[0]:.4g} | {coef[1]:.4g} | {coef[2]:.4g} | {coef[3]:.4g} | {len(g)} '
              f'| {rms:.1f} | {mx:.1f} |')
print(f'\nmark cost per layer: ' + ', '.join(f'{c} {marks[c]:.1f}' for c, _ in cores))
print(f'invoke overhead: ' + ', '.join(f'{c} {r[5]:.0f}' for c, r in zip([c for c, _ in cores], report)))
print('\n## Estimate (mote inspect --target) vs measured (mote verify, no marks)\n')
print('| core | model | measured | estimated | error % | leave-one-model-out estimate | LOO error % |')
print('|---|---|---:|---:|---:|---:|---:|')
worst, worst_loo = 0.0, 0.0
for core, prof, figs, groups, fb, inv in report:
    for m in models:
        f = f'{shared}/models/mlperf-tiny/{m}.tflite'
        j = json.loads(subprocess.run([mote, 'inspect', f, '--target', prof, '--json'], env=env, check=True,
                                      capture_output=True, text=True).stdout)
        e = j['estimate']['instructions']
        rows_m = [r for r in data[core] if r['model'] == m]
        py = estimate(figs, fb, round(max(inv, 0)), rows_m)
        assert abs(py - e) <= 1e-6 * e + 2, (core, m, 'C estimate differs from the fit', py, e)
        others = [r for r in data[core] if r['model'] != m]
        f2, _, fb2 = fit_core(others)
        inv2 = invoke_of(core, others, [x for x in models if x != m])
        loo = estimate(f2, fb2, max(inv2, 0), rows_m)
        meas = totals[core, m]
        err, err2 = (e - meas) / meas * 100, (loo - meas) / meas * 100
        worst, worst_loo = max(worst, abs(err)), max(worst_loo, abs(err2))
        unseen = sorted({r['kernel'] for r in rows_m} - {r['kernel'] for r in others})
        note = f' (unseen: {", ".join(unseen)})' if unseen else ''
        print(f'| {core} | {m} | {meas} | {e:.0f} | {err:+.2f} | {loo:.0f}{note} | {err2:+.2f} |')
print(f'\nworst |error|: fitted {worst:.2f} %, leave-one-model-out {worst_loo:.2f} %')
if host_cpi is not None:
    print(f'host effective CPI at 3000 MHz: {host_cpi:.3f}')
PY
