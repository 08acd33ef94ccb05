#!/usr/bin/env bash
# Fit the latency cost model (docs/cost-model.md) from measured instruction counts:
#   bench/calibrate_cost.sh [MOTE] [SHARED] [OUT_DIR]
# For each measured core (profile in brackets): cortex-m4f (nucleo-l4r5zi), cortex-m7
# (stm32f746), cortex-m33 (stm32u575) under QEMU, x86_64 (host) under callgrind, each
# int8 MLPerf Tiny model and each kernel set K (opt: the optimized kernels the profile
# gets by default; ref: the reference kernels), it runs
#   mote verify MODEL --target P --kernels K --format c --json --inputs in_00.bin [--layers]
# (with and without --layers: the difference is the cost of the layer marks), reads
# every node's kernel, executed MACs, output elements and window positions from
# `mote inspect --target P --kernels K --json`, fits per kernel variant (optimized and
# reference alike, from the layers of both sets; a layer that runs the same kernel in
# both sets counts once)
#   instructions = a*MACs + b*output_elements + c + w*window_positions
# (non-negative least squares), and writes OUT_DIR/<core>.cost (default targets/cost).
# It prints a report:
# fitted figures, estimate vs measured totals per model and kernel set (the estimate
# comes from `mote inspect --target --kernels` with the new files, so the C side is
# checked too) and a leave-one-model-out check. Takes about two minutes.
# KEEP=DIR keeps the raw JSON in DIR; SETS=opt measures and fits the optimized set only.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
mote=${1:-$here/build/bin/mote}
shared=${2:-$here/../shared}
out=${3:-$here/targets/cost}
models="kws_int8 vww_mobilenet_96_int8 ic_resnet8_int8 ad_autoencoder_int8"
sets=${SETS:-opt ref}   # SETS=opt: the optimized kernels only (the host CPI needs them)
case " $sets " in *" opt "*) ;; *) echo "calibrate_cost.sh: SETS must include opt" >&2; exit 2 ;; esac
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
    for k in $sets; do
      echo "measuring $m on $prof ($core), kernels $k" >&2
      MOTE_COST_DIR=$work/boot "$mote" inspect "$f" --target "$prof" --kernels "$k" --json \
        > "$work/$core.$m.$k.inspect.json"
      "$mote" verify "$f" --target "$prof" --kernels "$k" --format c --json --inputs "$in" \
        > "$work/$core.$m.$k.total.json"
      "$mote" verify "$f" --target "$prof" --kernels "$k" --format c --json --layers --inputs "$in" \
        > "$work/$core.$m.$k.layers.json"
    done
    if [ "$core" = x86_64 ]; then   # wall time of the same -O2 (optimized) kernels, for the host CPI
      "$mote" run "$f" --input "$in" --output /dev/null --repeat 300 | awk '{print $2}' > "$work/$core.$m.us"
    fi
  done
done

python3 - "$work" "$out" "$mote" "$shared" "$models" "$cores" "$sets" <<'PY'
import json, os, subprocess, sys, datetime, itertools, statistics, textwrap
work, out, mote, shared, models, cores, sets = sys.argv[1:8]
models, cores, sets = models.split(), [c.split(':') for c in cores.split()], sets.split()
SET_NAME = {'opt': 'optimized', 'ref': 'reference'}
assert set(sets) <= set(SET_NAME), sets

# Cycles per instruction: QEMU and callgrind count instructions, not cycles. Assumptions
# for the Cortex-M cores (none was measured: no boards here), see docs/cost-model.md.
CPI = {
    'cortex-m4f': (1.4, 'assumed, not measured: Cortex-M4 TRM timings (1-cycle ALU/MAC, 2-cycle loads, '
                        'branches 1+refill) give 1.2-1.6 for these load-heavy loops; 1.4 is the middle'),
    'cortex-m7': (1.0, 'assumed, not measured: dual-issue 6-stage pipeline; caches/TCM on, flash wait '
                       'states hidden; between 0.7 and 1.3 for these kernels'),
    'cortex-m33': (1.4, 'assumed, not measured: 3-stage pipeline with Cortex-M4-like timings; same range'),
}

def load(core, m, k, kind):
    with open(f'{work}/{core}.{m}.{k}.{kind}.json') as f:
        return json.load(f)

# ---- gather: one row per layer and kernel set (core, set, model, kernel, macs, outs, instructions) ----
data, points, totals, marks, dup = {}, {}, {}, {}, {}
for core, prof in cores:
    rows, ov = [], []
    for m in models:
        for k in sets:
            ins, tot, lay = load(core, m, k, 'inspect'), load(core, m, k, 'total'), load(core, m, k, 'layers')
            assert ins['kernels'] == k, (core, m, k, 'inspect used other kernels')
            per, layers = ins['estimate']['per_op'], lay['layers']
            assert len(per) == len(layers), (core, m, k, 'node count differs')
            t0, t1 = tot['instructions_per_inference'], lay['instructions_per_inference']
            ov.append((t1 - t0) / (len(layers) + 1))    # one mark per layer + one after the last
            totals[core, m, k] = t0
            for p, l in zip(per, layers):
                assert p['layer'] == l['layer'] and p['op'] == l['file_op'], (core, m, k, p, l)
                rows.append(dict(set=k, model=m, op=p['op'], kernel=p['kernel'], macs=p['executed_macs'],
                                 outs=p['output_elements'], win=p['window_positions'], raw=l['instructions']))
    marks[core] = statistics.mean(ov)
    spread = max(ov) - min(ov)
    assert spread < 2, (core, 'mark cost differs between models or kernel sets', ov)
    for r in rows:
        r['y'] = r['raw'] - marks[core]                  # the kernel without its mark
    data[core] = rows
    # The fit's points: a layer that runs the same kernel in both sets (pooling, softmax,
    # reshape) was measured twice; it counts once, at the mean of the two counts.
    same = {}
    for r in rows:
        same.setdefault((r['model'], r['op'], r['kernel']), []).append(r)
    points[core], dup[core] = [], (0, '')
    for (m, op, kernel), rs in same.items():
        ys = [r['y'] for r in rs]
        points[core].append(dict(rs[0], y=statistics.mean(ys), sets={r['set'] for r in rs}))
        d = max(ys) - min(ys)
        if d > dup[core][0]:
            dup[core] = (d, f'{kernel} op {op} of {m}: ' + ' vs '.join(f'{r["raw"]}' for r in rs))

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

# The fallback stands for a kernel without figures: a float, LSTM, signal or other plain C
# kernel, written like the reference ones. So it is fitted on the reference set's layers
# (all layers when only the optimized set is measured): one fit over every kernel, without
# a per-call constant (it would charge a small unknown op the overhead of a large convolution).
FALLBACK_SET = 'ref' if 'ref' in sets else 'opt'

def fit_core(rows):
    kernels = {}
    for r in rows:
        kernels.setdefault(r['kernel'], []).append(r)
    figs = {k: fit(v) for k, v in sorted(kernels.items())}
    return figs, kernels, fit(fallback_rows(rows), (0, 1, 3))

def fallback_rows(rows):
    return [r for r in rows if FALLBACK_SET in r['sets']]

def invoke_of(core, ms):
    """Mean over the models ms and the kernel sets of the total minus its layers."""
    return statistics.mean(totals[core, m, k] - sum(r['y'] for r in data[core] if r['model'] == m and r['set'] == k)
                           for m in ms for k in sets)

def model_rows(core, m, k):
    return [r for r in data[core] if r['model'] == m and r['set'] == k]

def fallback_errors(core, fb):
    """Relative error of each model total (kernels of FALLBACK_SET) if every layer used the fallback."""
    k = FALLBACK_SET
    rel = [abs(sum(est(fb, r) for r in model_rows(core, m, k)) - totals[core, m, k]) / totals[core, m, k] * 100
           for m in models]
    return (sum(e * e for e in rel) / len(rel)) ** 0.5, max(rel)

def estimate(figs, fb, inv, rows):
    return inv + sum(est(figs.get(r['kernel'], fb), r) for r in rows)

def set_of(core, kernel):
    """opt, ref or both: the kernel sets whose layers ran this kernel."""
    s = sorted({r['set'] for r in data[core] if r['kernel'] == kernel})
    return s[0] if len(s) == 1 else 'both'

host_cpi = None
if any(c == 'x86_64' for c, _ in cores):
    cpis = []
    for m in models:
        us = float(open(f'{work}/x86_64.{m}.us').read().split()[0])
        cpis.append(us * 1e-6 * 3000e6 / totals['x86_64', m, 'opt'])
    host_cpi = statistics.median(cpis)
    CPI['x86_64'] = (round(host_cpi, 3), 'measured on the calibration machine: median over the models of '
                     '(mote run --repeat 300 wall time x the nominal 3000 MHz) / callgrind instructions of the '
                     'optimized kernels; per model ' + ', '.join(f'{c:.3f}' for c in cpis) + '; machine-dependent')

GROUPS = [('opt', 'optimized kernels (the default; mote compile/verify/inspect --kernels opt)'),
          ('ref', 'reference kernels (--kernels ref)'),
          ('both', 'kernels both sets use (one measurement per layer: the mean of the two)')]
today = datetime.date.today().isoformat()
report = []
for core, prof in cores:
    figs, groups, fb = fit_core(points[core])
    inv = invoke_of(core, models)
    cpi, why = CPI[core]
    lines = [
        f'# mote cost model for {core}: instructions per call of each kernel variant',
        f'#   instructions = a * MACs + b * output_elements + c + w * window_positions',
        f'# Produced by bench/calibrate_cost.sh on {today} from per-layer counts of',
        f'#   mote verify MODEL --target {prof} --kernels K --format c --json --layers --inputs <golden>/MODEL/in_00.bin',
        f'# for the int8 MLPerf Tiny models ({", ".join(models)})',
        f'# and K = {" and ".join(f"{k} ({SET_NAME[k]} kernels)" for k in sets)}, with',
        f'# {"callgrind" if core == "x86_64" else "QEMU (TCG plugin)"} instruction counts of the generated C package '
        f'at -O2.',
        f'# Each layer count includes one layer mark; {marks[core]:.1f} instructions per mark (measured:',
        f'# totals with and without --layers) are subtracted before fitting.',
        f'# Fit: non-negative least squares per kernel; up to 4 terms from 8 layers, 3 from 6, 2 from 3,',
        f'# else 1. MACs: executed (padding skipped); window_positions: (output element, filter or',
        f'# pool tap) pairs inside the input. See docs/cost-model.md.',
        f'# points = layers fitted (a layer that runs the same kernel in both sets counts once);',
        f'# rms_pct / max_pct = relative residual on those layers (%).',
        f'core {core}',
        *textwrap.wrap(f'cycles per instruction: {why}', 96, initial_indent='# ', subsequent_indent='#   '),
        f'cpi {cpi}',
        f'# instructions per inference outside the layers (invoke entry/exit), mean over the models and sets',
        f'invoke {max(inv, 0):.0f}',
    ]
    rms, mx = fallback_errors(core, fb)
    lines.append(f'# kernels without a line: one fit (no constant) over every layer of the {SET_NAME[FALLBACK_SET]} kernels;')
    lines.append(f'# its rms/max here are the errors of those model totals when every layer uses it')
    lines.append('#        a (per MAC)   b (per out)  c (per call)   w (per win)  points  rms_pct  max_pct')
    lines.append(f'fallback {fb[0]:11.9g} {fb[1]:13.9g} {fb[2]:13.9g} {fb[3]:13.9g} {len(fallback_rows(points[core])):7d} '
                 f'{rms:8.2f} {mx:8.2f}')
    lines.append('#      name                 a (per MAC)   b (per out)  c (per call)   w (per win)  points  rms_pct  max_pct')
    for g, title in GROUPS:
        names = [k for k in figs if set_of(core, k) == g]
        if names:
            lines.append(f'# {title}')
        for k in names:
            coef = figs[k]
            rms, mx = errors(coef, groups[k])
            lines.append(f'kernel {k:<20} {coef[0]:13.9g} {coef[1]:13.9g} {coef[2]:13.9g} {coef[3]:13.9g} '
                         f'{len(groups[k]):7d} {rms:8.2f} {mx:8.2f}')
    with open(f'{out}/{core}.cost', 'w') as f:
        f.write('\n'.join(lines) + '\n')
    report.append((core, prof, figs, groups, fb, inv))

# ---- report: figures, estimate vs measured (via mote inspect), leave-one-model-out ----
env = dict(os.environ, MOTE_COST_DIR=out)
print(f'## Fitted figures ({today})\n')
print('| core | set | kernel | a /MAC | b /output | c /call | w /window pos. | layers | rms % | max % |')
print('|---|---|---|---:|---:|---:|---:|---:|---:|---:|')
for core, prof, figs, groups, fb, inv in report:
    for k, coef in list(figs.items()) + [('(fallback)', fb)]:
        if k in groups:
            g, (rms, mx), st = groups[k], errors(coef, groups[k]), set_of(core, k)
        else:
            g, (rms, mx), st = fallback_rows(points[core]), fallback_errors(core, coef), FALLBACK_SET
        print(f'| {core} | {st} | {k} | {coef[0]:.4g} | {coef[1]:.4g} | {coef[2]:.4g} | {coef[3]:.4g} | {len(g)} '
              f'| {rms:.1f} | {mx:.1f} |')
print(f'\nmark cost per layer: ' + ', '.join(f'{c} {marks[c]:.1f}' for c, _ in cores))
print(f'invoke overhead: ' + ', '.join(f'{r[0]} {r[5]:.0f}' for r in report))
print('largest difference between the two sets\' counts of one layer with the same kernel (fitted: their mean): ' +
      '; '.join(f'{c} {dup[c][1] or "none"}' for c, _ in cores))
print('\n## Estimate (mote inspect --target P --kernels K) vs measured (mote verify --kernels K, no marks)\n')
print('| core | kernels | model | measured | estimated | error % | leave-one-model-out estimate | LOO error % |')
print('|---|---|---|---:|---:|---:|---:|---:|')
worst = {k: [0.0, 0.0] for k in sets}
for core, prof, figs, groups, fb, inv in report:
    for m in models:
        others = [r for r in points[core] if r['model'] != m]
        f2, _, fb2 = fit_core(others)
        inv2 = invoke_of(core, [x for x in models if x != m])
        seen = {r['kernel'] for r in others}
        for k in sets:
            f = f'{shared}/models/mlperf-tiny/{m}.tflite'
            j = json.loads(subprocess.run([mote, 'inspect', f, '--target', prof, '--kernels', k, '--json'], env=env,
                                          check=True, capture_output=True, text=True).stdout)
            e = j['estimate']['instructions']
            assert not any(p['fallback'] for p in j['estimate']['per_op']), (core, m, k, 'a kernel without figures')
            rows_m = model_rows(core, m, k)
            py = estimate(figs, fb, round(max(inv, 0)), rows_m)
            assert abs(py - e) <= 1e-6 * e + 2, (core, m, k, 'C estimate differs from the fit', py, e)
            loo = estimate(f2, fb2, max(inv2, 0), rows_m)
            meas = totals[core, m, k]
            err, err2 = (e - meas) / meas * 100, (loo - meas) / meas * 100
            worst[k][0], worst[k][1] = max(worst[k][0], abs(err)), max(worst[k][1], abs(err2))
            unseen = sorted({r['kernel'] for r in rows_m} - seen)
            note = f' ({", ".join(unseen)} unseen)' if unseen else ''
            print(f'| {core} | {k} | {m} | {meas:,} | {e:,.0f} | {err:+.2f} | {loo:,.0f}{note} | {err2:+.2f} |')
print()
for k in sets:
    print(f'worst |error|, {SET_NAME[k]} kernels: fitted {worst[k][0]:.2f} %, leave-one-model-out {worst[k][1]:.2f} %')
if host_cpi is not None:
    print(f'host effective CPI at 3000 MHz: {host_cpi:.3f}')
PY
