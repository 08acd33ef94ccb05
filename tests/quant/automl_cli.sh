#!/usr/bin/env bash
# mote automl end to end, small: one bracket of 4 candidates (2, 6 epochs) on the train.cli fixture's FSDD
# slice for nrf52840 with a latency limit:
#   - a candidate over the limit or not fitting is never trained; every trained one fits;
#   - the chosen model is in OUT/best and mote eval scores it as the search reported;
#   - the same seed in another folder chooses the same candidate with the same validation accuracy;
#   - run again in the same folder, everything is read back from automl.db (nothing trained twice);
#   - int4 / mixed points (the mixed-precision search on the front) fit, save flash, come from a trained trial;
#   - OUT/report.html holds the Pareto plot and one learning curve pair per trained trial, curves that
#     survive the resume (kept in automl.db);
# then one bracket of 9 on ST HAR for rp2040, one epoch each: every motion family (MLP on features, 1-D CNN
# and ResNet on raw windows) is searched, with the window and bands knobs.
# Usage: automl_cli.sh MOTE TRAIN_CLI_DIR OUT_DIR [SHARED_DIR]
set -eu
mote=$1 trained=$2 out=$3 shared=${4:-}
rm -rf "$out" && mkdir -p "$out"
data=$trained/data
args=(--data "$data" --task audio --target nrf52840 --max-latency-ms 45 --bracket 4 --brackets 1 --min-epochs 2
      --max-epochs 6 --seed 4 --budget 10m --json)
"$mote" automl "${args[@]}" -o "$out/a" > "$out/a.json"
"$mote" automl "${args[@]}" -o "$out/b" > "$out/b.json"
"$mote" automl "${args[@]}" -o "$out/a" > "$out/a2.json"
ev=$("$mote" eval "$out/a/best/model_int8.tflite" --data "$data" --json)
python3 - "$out" "$ev" <<'PY'
import json, re, sys
d = sys.argv[1]
a, b, a2 = (json.load(open(f"{d}/{n}.json")) for n in ("a", "b", "a2"))
e = json.loads(sys.argv[2])
t = [x for x in a["trials"] if x["precision"] == "int8"]
p = [x for x in a["trials"] if x["precision"] != "int8"]
assert a["chosen"] >= 0 and len(t) == 4 and a["trials"][a["chosen"]]["precision"] == "int8", a
assert all(x["epochs"] == 0 for x in t if not x["fits"]), "a candidate that does not fit was trained"
assert all(x["ms"] <= 45 for x in t if x["fits"]) and all("why" in x for x in t if not x["fits"])
ch = a["trials"][a["chosen"]]
# int4 / mixed points: from a trained int8 front trial, fitting, less flash, their file scored as reported
for x in p:
    parent = next(y for y in t if y["candidate"] == x["candidate"].rsplit(" +", 1)[0])
    assert parent["epochs"] and x["fits"] and x["flash"] < parent["flash"] and x["precision"] in ("int4", "mixed"), x
assert ch["fits"] and ch["epochs"] == 6 and abs(e["accuracy"] - ch["test_int8"]) < 1e-9, (ch, e["accuracy"])
cb = b["trials"][b["chosen"]]
assert cb["candidate"] == ch["candidate"] and cb["val_accuracy"] == ch["val_accuracy"], (cb, ch)
assert a2["resumed"] == 4 and a2["trials"][a2["chosen"]]["candidate"] == ch["candidate"], a2["resumed"]
assert {x["family"] for x in t} == {"ds-cnn", "resnet"}, [x["candidate"] for x in t]
n_trained = sum(1 for x in t if x["epochs"])
html = open(f"{d}/a/report.html").read()
assert 'aria-label="Pareto plot"' in html and html.count("<circle") >= n_trained, "no Pareto plot"
assert html.count("Accuracy per epoch</text>") == n_trained == html.count("Loss per epoch</text>"), "curves"
assert len(re.findall(r"<polyline[^>]*points=\"[^\"]+ [^\"]+\"", html)) >= 2 * n_trained, "a curve is empty"
assert "http" not in html.replace("http://www.w3.org", ""), "report.html fetches something"
print("automl: precision points", [(x["candidate"], round(x["flash"]), round(x["test_int8"], 4)) for x in p])
print("automl: chose", ch["candidate"], "val", ch["val_accuracy"], "test int8", ch["test_int8"], "ms", ch["ms"],
      "; rejected:", sum(1 for x in t if not x["fits"]))
PY
if [ -n "$shared" ]; then
  "$mote" automl --data "$shared/data/st-har" --task motion --target rp2040 --bracket 9 --brackets 1 --min-epochs 1 \
      --max-epochs 1 --seed 1 --budget 5m --json -o "$out/har" > "$out/har.json"
  python3 - "$out/har.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["trials"]
fam = {x["family"] for x in t}
assert fam == {"mlp", "cnn1d", "resnet"}, fam
assert all(x["raw"] == (x["family"] != "mlp") and x["window"] in (26, 39, 52) for x in t), t
assert all(x["bands"] in (2, 4, 8) for x in t if x["family"] == "mlp")
assert all(x["epochs"] == 1 for x in t if x["fits"]) and d["chosen"] >= 0
assert any(x["precision"] != "int8" for x in t), "no int4 / mixed point on the front"
print("automl motion: families", sorted(fam), "windows", sorted({x["window"] for x in t}))
PY
fi
echo "automl cli ok"
