#!/usr/bin/env bash
# mote automl end to end, small: one bracket of 4 candidates (2, 6 epochs) on the train.cli fixture's FSDD
# slice for nrf52840 with a latency limit:
#   - a candidate over the limit or not fitting is never trained; every trained one fits;
#   - the chosen model is in OUT/best and mote eval scores it as the search reported;
#   - the same seed in another folder chooses the same candidate with the same validation accuracy;
#   - run again in the same folder, everything is read back from automl.db (nothing trained twice).
# Usage: automl_cli.sh MOTE TRAIN_CLI_DIR OUT_DIR
set -eu
mote=$1 trained=$2 out=$3
rm -rf "$out" && mkdir -p "$out"
data=$trained/data
args=(--data "$data" --task audio --target nrf52840 --max-latency-ms 45 --bracket 4 --brackets 1 --min-epochs 2
      --max-epochs 6 --seed 5 --budget 10m --json)
"$mote" automl "${args[@]}" -o "$out/a" > "$out/a.json"
"$mote" automl "${args[@]}" -o "$out/b" > "$out/b.json"
"$mote" automl "${args[@]}" -o "$out/a" > "$out/a2.json"
ev=$("$mote" eval "$out/a/best/model_int8.tflite" --data "$data" --json)
python3 - "$out" "$ev" <<'PY'
import json, sys
d = sys.argv[1]
a, b, a2 = (json.load(open(f"{d}/{n}.json")) for n in ("a", "b", "a2"))
e = json.loads(sys.argv[2])
t = a["trials"]
assert a["chosen"] >= 0 and len(t) == 4, a
assert all(x["epochs"] == 0 for x in t if not x["fits"]), "a candidate that does not fit was trained"
assert all(x["ms"] <= 45 for x in t if x["fits"]) and all("why" in x for x in t if not x["fits"])
ch = t[a["chosen"]]
assert ch["fits"] and ch["epochs"] == 6 and abs(e["accuracy"] - ch["test_int8"]) < 1e-9, (ch, e["accuracy"])
cb = b["trials"][b["chosen"]]
assert cb["candidate"] == ch["candidate"] and cb["val_accuracy"] == ch["val_accuracy"], (cb, ch)
assert a2["resumed"] == 4 and a2["trials"][a2["chosen"]]["candidate"] == ch["candidate"], a2["resumed"]
print("automl: chose", ch["candidate"], "val", ch["val_accuracy"], "test int8", ch["test_int8"], "ms", ch["ms"],
      "; rejected:", sum(1 for x in t if not x["fits"]))
PY
echo "automl cli ok"
