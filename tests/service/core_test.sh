#!/usr/bin/env bash
# moted core over real HTTP: `mote serve` on a free port in a temp data dir;
# tokens and roles, model push/get/conflict/refusal, device registration and
# registry, error codes, body limits, metrics, kill -9 and restart.
# usage: core_test.sh MOTE SHARED_DIR WORK_DIR
set -u
MOTE=$1 SHARED=$2 W=$3
KWS=$SHARED/models/mlperf-tiny/kws_int8.tflite
AD=$SHARED/models/mlperf-tiny/ad_autoencoder_int8.tflite
rm -rf "$W" && mkdir -p "$W" || exit 1
D=$W/data PID= fails=0

cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; }
trap cleanup EXIT
check() { # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}
start() {
  rm -f "$D/moted.port"
  "$MOTE" serve --data "$D" --port 0 --threads 2 >"$W/stdout" 2>>"$W/log" &
  PID=$!
  for _ in $(seq 100); do [ -s "$D/moted.port" ] && break; sleep 0.1; done
  [ -s "$D/moted.port" ] || { echo "server did not start:"; cat "$W/log"; exit 1; }
  PORT=$(cat "$D/moted.port") URL=http://127.0.0.1:$PORT
  for _ in $(seq 50); do grep -q listening "$W/stdout" && break; sleep 0.1; done
}
# req METHOD PATH TOKEN [curl args...]: body in $W/body, status in $CODE
req() {
  local m=$1 p=$2 t=$3; shift 3
  local auth=(); [ -n "$t" ] && auth=(-H "Authorization: Bearer $t")
  CODE=$(curl -s -o "$W/body" -w '%{http_code}' -X "$m" "${auth[@]}" "$@" "$URL$p")
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$W/body" "$1"; }
push_body() { # push_body FILE NAME VERSION OUT [selftest_in selftest_out]
  python3 - "$@" <<'PY'
import base64, json, sys
f, name, version, out = sys.argv[1:5]
d = {"name": name, "version": version, "metadata": {"task": "kws"},
     "model_b64": base64.b64encode(open(f, "rb").read()).decode()}
if len(sys.argv) > 5:
    d["selftest"] = {"input_b64": base64.b64encode(open(sys.argv[5], "rb").read()).decode(),
                     "expected_b64": base64.b64encode(open(sys.argv[6], "rb").read()).decode()}
json.dump(d, open(out, "w"))
PY
}

start
check "stdout says where it listens" grep -qx "moted listening on http://127.0.0.1:$PORT" "$W/stdout"
ADMIN=$(cat "$D/admin.token") ENROLL=$(cat "$D/enroll.token")
check "token files are 0600 and 64 hex" test "$(stat -c %a "$D/admin.token" "$D/enroll.token" | sort -u)" = 600 -a \
  "${#ADMIN}" = 64 -a "${#ENROLL}" = 64
check "database keeps no token in clear" bash -c "! grep -q '$ADMIN' '$D/moted.db' '$D'/moted.db-wal 2>/dev/null"

req GET /health ""
check "health 200 ok" test "$CODE" = 200 -a "$(jget 'd["status"]')" = ok
req GET /v1/models ""
check "no token: 401 with a JSON error" test "$CODE" = 401 -a -n "$(jget 'd["error"]')"
req GET /v1/models 0000000000000000000000000000000000000000000000000000000000000000
check "unknown token: 401" test "$CODE" = 401
req GET /v1/models "$ENROLL"
check "enroll token on an admin route: 403" test "$CODE" = 403

# Models.
push_body "$KWS" kws 1.0 "$W/kws.json"
req POST /v1/models "$ADMIN" --data-binary @"$W/kws.json" -H 'Content-Type: application/json'
SHA=$(sha256sum "$KWS" | cut -d' ' -f1)
check "push kws: 201 with sha256 and size" test "$CODE" = 201 -a "$(jget 'd["sha256"]')" = "$SHA" -a \
  "$(jget 'd["size"]')" = "$(stat -c %s "$KWS")"
req POST /v1/models "$ADMIN" --data-binary @"$W/kws.json"
check "same version, same bytes: 200" test "$CODE" = 200 -a "$(jget 'd["sha256"]')" = "$SHA"
req GET /v1/models/kws/1.0/file "$ADMIN"
check "model bytes come back identical" cmp -s "$W/body" "$KWS"
req GET /v1/models/kws/1.0/tflite "$ADMIN"
check "the older path /tflite gives the same bytes" cmp -s "$W/body" "$KWS"
req GET /v1/models/kws/1.0/tflite "$ADMIN" -H 'Range: bytes=1000-'
tail -c +1001 "$KWS" >"$W/tail"
check "Range bytes=1000-: 206 and the rest of the file" test "$CODE" = 206 -a "$(cmp -s "$W/body" "$W/tail"; echo $?)" = 0
req GET /v1/models/kws/1.0/tflite "$ADMIN" -H "Range: bytes=$(stat -c %s "$KWS")-"
check "Range past the end: 416" test "$CODE" = 416
req GET /v1/models/kws/1.0 "$ADMIN"
"$MOTE" inspect "$KWS" --json >"$W/inspect.json"
check "model document: inspect equals mote inspect --json (but the name)" python3 - "$W/body" "$W/inspect.json" <<'PY'
import json, sys
d, i = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a = dict(d["inspect"]); b = dict(i); a.pop("model"); b.pop("model")
assert a == b and d["inspect"]["model"] == "kws/1.0", "inspect differs"
assert d["name"] == "kws" and d["version"] == "1.0" and d["selftest"] is False and d["metadata"] == {"task": "kws"}
assert len(d["created"]) == 20
PY
push_body "$AD" kws 1.0 "$W/ad.json"
req POST /v1/models "$ADMIN" --data-binary @"$W/ad.json"
check "same version, other bytes: 409 naming the version" test "$CODE" = 409 -a \
  "$(jget '"kws/1.0" in d["error"]')" = True
head -c 4000 /dev/urandom >"$W/garbage.tflite"
push_body "$W/garbage.tflite" junk 1 "$W/junk.json"
req POST /v1/models "$ADMIN" --data-binary @"$W/junk.json"
check "garbage model: 422 with the importer's message" test "$CODE" = 422 -a -n "$(jget 'd["error"]')"
printf 'in' >"$W/in.bin"; printf 'out' >"$W/out.bin"
push_body "$KWS" kws 2.0 "$W/kws2.json" "$W/in.bin" "$W/out.bin"
req POST /v1/models "$ADMIN" --data-binary @"$W/kws2.json"
check "self-test of the wrong size: 400 naming selftest" test "$CODE" = 400 -a "$(jget 'd["error"].startswith("selftest")')" = True
head -c 490 /dev/urandom >"$W/in.bin"; head -c 12 /dev/urandom >"$W/out.bin"
push_body "$KWS" kws 2.0 "$W/kws2.json" "$W/in.bin" "$W/out.bin"
req POST /v1/models "$ADMIN" --data-binary @"$W/kws2.json"
check "push with a self-test vector: 201, selftest true" test "$CODE" = 201 -a "$(jget 'd["selftest"]')" = True
req POST /v1/models "$ADMIN" --data-binary '{"name":"x","version":"1","model_b64":"!!!"}'
check "bad base64: 400 naming model_b64" test "$CODE" = 400 -a "$(jget 'd["error"].startswith("model_b64")')" = True
req POST /v1/models "$ADMIN" --data-binary '{"name":"x","version":"1","tflite_b64":"!!!"}'
check "bad base64 under the older name: 400 naming tflite_b64" test "$CODE" = 400 -a "$(jget 'd["error"].startswith("tflite_b64")')" = True
req POST /v1/models "$ADMIN" --data-binary '{"name":"a/b","version":"1","tflite_b64":"AAAA"}'
check "bad name: 400 naming name" test "$CODE" = 400 -a "$(jget 'd["error"].startswith("name")')" = True
req GET /v1/models "$ADMIN"
check "list: kws with versions 1.0 and 2.0" test "$(jget '[(m["name"], [v["version"] for v in m["versions"]]) for m in d["models"]]')" = "[('kws', ['1.0', '2.0'])]"
req GET /v1/models/kws/9.9 "$ADMIN"
check "unknown version: 404" test "$CODE" = 404

# Devices.
REG='{"name":"sim-0007","profile":"nucleo-l4r5zi","tags":["fleet"],"facts":{"core":"cortex-m4f","clock_mhz":120,"ram_kb":640,"flash_kb":2048,"features":["dsp","fpu"],"peripherals":["mic"],"firmware":"sim-1.0","runtime_abi":1,"formats":["mote"]}}'
req POST /v1/devices "$ENROLL" --data-binary "$REG"
DEV=$(jget 'd.get("id","")') CRED=$(jget 'd.get("credential","")')
check "register with the enroll token: 201, id, credential, profile, server key" test "$CODE" = 201 -a \
  "$(jget 'bool(__import__("re").fullmatch("d-[0-9a-f]{16}", d["id"]) and len(d["credential"]) == 64 and d["profile"] and len(d["server_key"]) == 64)')" = True
req POST /v1/devices "$ENROLL" --data-binary '{"name":"x","facts":"no"}'
check "registration without facts object: 400 naming facts" test "$CODE" = 400 -a "$(jget 'd["error"].startswith("facts")')" = True
req GET /v1/devices "$ADMIN"
check "device list has the device" test "$CODE" = 200 -a "$(jget '[x["id"] for x in d["devices"]]')" = "['$DEV']"
req GET "/v1/devices?tag=fleet" "$ADMIN"
check "list by tag fleet: 1" test "$(jget 'len(d["devices"])')" = 1
req GET "/v1/devices?tag=lab" "$ADMIN"
check "list by tag lab: 0" test "$(jget 'len(d["devices"])')" = 0
req PUT "/v1/devices/$DEV/tags" "$ADMIN" --data-binary '{"tags":["lab","fleet"]}'
check "PUT tags: the device with the new tags" test "$CODE" = 200 -a "$(jget 'd["tags"]')" = "['lab', 'fleet']"
req PUT "/v1/devices/$DEV/tags" "$ADMIN" --data-binary '{"tags":[1]}'
check "bad tags: 400 naming tags[0]" test "$CODE" = 400 -a "$(jget 'd["error"].startswith("tags[0]")')" = True
req GET /v1/devices/d-0000000000000000 "$ADMIN"
check "unknown device: 404" test "$CODE" = 404
req GET /v1/devices/d-%ff%c3 "$ADMIN"
check "unknown device, not UTF-8: 404 naming it with '?'" test "$CODE" = 404 -a "$(jget 'd["error"]')" = "device d-??: unknown"
req GET /v1/no/%e2%82 ""
check "unknown route, not UTF-8: 404 with a JSON error" test "$CODE" = 404 -a "$(jget 'd["error"]')" = "/v1/no/??: no such route"
req GET /v1/devices "$CRED"
check "device credential on an admin route: 403" test "$CODE" = 403
req POST /v1/device/telemetry "$CRED" --data-binary '{"inferences":42,"latency_us_mean":1500.5,"latency_us_max":2100,"histogram":[40,2]}'
check "telemetry: 204" test "$CODE" = 204
req POST /v1/device/telemetry "$ADMIN" --data-binary '{"inferences":1,"latency_us_mean":1,"latency_us_max":1}'
check "admin token on a device route: 403" test "$CODE" = 403
req POST /v1/device/telemetry "$CRED" --data-binary '{"inferences":-1,"latency_us_mean":1,"latency_us_max":1}'
check "bad telemetry: 400 naming inferences" test "$CODE" = 400 -a "$(jget 'd["error"].startswith("inferences")')" = True
req GET "/v1/devices/$DEV" "$ADMIN"
check "device document shows telemetry and tags" test "$(jget 'd["telemetry"]["inferences"], d["telemetry"]["histogram"], d["state"]')" = "(42, [40, 2], 'registered')"

# Errors and limits.
req POST /v1/tokens "$ADMIN" --data-binary '{"name": "ci", "role": '
check "malformed JSON: 400" test "$CODE" = 400 -a "$(jget 'd["error"].startswith("body")')" = True
req POST /v1/tokens "$ADMIN" --data-binary '[1,2]'
check "JSON that is not an object: 400" test "$CODE" = 400
python3 -c 'import json; print(json.dumps({"name": "x" * 70000, "role": "admin"}))' >"$W/big.json"
req POST /v1/tokens "$ADMIN" --data-binary @"$W/big.json"
check "70 KB JSON body: 413" test "$CODE" = 413
head -c $((33 * 1024 * 1024)) /dev/zero >"$W/huge.bin"
req POST /v1/models "$ADMIN" --data-binary @"$W/huge.bin"
check "33 MiB model upload: 413" test "$CODE" = 413
req GET /v1/nothing "$ADMIN"
check "unknown route: 404 with a JSON error" test "$CODE" = 404 -a -n "$(jget 'd["error"]')"
req DELETE /v1/models "$ADMIN"
check "wrong method: 405" test "$CODE" = 405
req POST /v1/tokens "$ADMIN" --data-binary '{"name":"ci","role":"root"}'
check "bad role: 400 naming role" test "$CODE" = 400 -a "$(jget 'd["error"].startswith("role")')" = True
req POST /v1/tokens "$ADMIN" --data-binary '{"name":"ci","role":"admin"}'
NEWTOK=$(jget 'd.get("token","")')
req GET /v1/models "$NEWTOK"
check "a token made by POST /v1/tokens works" test "$CODE" = 200
# Keep-alive: several requests over one connection.
N=$(curl -s -o /dev/null -w '%{num_connects}\n' "$URL/health" "$URL/health" "$URL/health" | awk '{s += $1} END {print s}')
check "keep-alive: three requests, one connection" test "$N" = 1

req GET /metrics ""
check "metrics: valid Prometheus text with the core series" python3 - "$W/body" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
line = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|\+Inf|NaN)$')
series = {}
for l in text.splitlines():
    if l.startswith("#"):
        assert re.match(r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$", l), l
        continue
    m = line.match(l)
    assert m, "bad line: " + l
    series[l.rsplit(" ", 1)[0]] = float(l.rsplit(" ", 1)[1])
assert series['mote_http_requests_total{route="/v1/models",code="201"}'] == 2
assert series['mote_http_requests_total{route="/v1/models",code="413"}'] == 1
assert series['mote_http_requests_total{route="unmatched",code="404"}'] >= 1
assert series["mote_devices"] == 1 and series["mote_telemetry_reports_total"] == 1
b = [v for k, v in series.items() if k.startswith("mote_http_request_seconds_bucket")]
assert b == sorted(b) and b[-1] == series["mote_http_request_seconds_count"] > 20
assert 'mote_http_request_seconds_bucket{le="+Inf"}' in series
PY
check "a JSON log line per request" python3 - "$W/log" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r = [x for x in reqs if x.get("msg") == "request"]
assert len(r) > 20 and all({"ts", "level", "method", "route", "status", "us"} <= set(x) for x in r)
assert any(x["route"] == "/v1/models/{name}/{version}" and x["status"] == 200 for x in r)
PY

# kill -9 while versions are being pushed (two writers), restart: everything is
# still there and every listed version is whole.
push_body "$AD" ad 1 "$W/adv.json"
for k in 1 2; do
  (for v in $(seq 300); do sed "s/\"version\": \"1\"/\"version\": \"$k.$v\"/" "$W/adv.json" |
     curl -s -o /dev/null -H "Authorization: Bearer $ADMIN" --data-binary @- "$URL/v1/models" || break; done) &
done
sleep 1.5
kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=
wait
start
req GET /v1/models "$ADMIN"
python3 -c 'import json,sys; [print(m["name"], v["version"], v["sha256"]) for m in json.load(open(sys.argv[1]))["models"] for v in m["versions"]]' "$W/body" >"$W/versions"
bad=0
while read -r name version sha; do
  req GET "/v1/models/$name/$version/tflite" "$ADMIN"
  [ "$CODE" = 200 ] && [ "$(sha256sum <"$W/body" | cut -d' ' -f1)" = "$sha" ] || bad=$((bad + 1))
done <"$W/versions"
check "kill -9 during pushes: $(grep -c '^ad ' "$W/versions") ad versions listed, each whole" test "$bad" = 0 -a \
  "$(grep -c '^ad ' "$W/versions")" -gt 0
check "kill -9 during pushes: database integrity ok" python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"' "$D/moted.db"
check "restart: same tokens" test "$(cat "$D/admin.token")" = "$ADMIN"
req GET /v1/models "$ADMIN"
check "restart: models kept" test "$(jget '[(m["name"], len(m["versions"])) for m in d["models"] if m["name"] != "ad"]')" = "[('kws', 2)]"
req GET /v1/models/kws/1.0/tflite "$ADMIN"
check "restart: model bytes identical" cmp -s "$W/body" "$KWS"
req GET /v1/devices "$CRED"
req POST /v1/device/telemetry "$CRED" --data-binary '{"inferences":43,"latency_us_mean":1,"latency_us_max":1}'
check "restart: device credential still valid" test "$CODE" = 204
req GET "/v1/devices/$DEV" "$ADMIN"
check "restart: device kept with its tags" test "$(jget 'd["tags"], d["telemetry"]["inferences"]')" = "(['lab', 'fleet'], 43)"
req GET /v1/models "$NEWTOK"
check "restart: token made by the API kept" test "$CODE" = 200
check "no temp files left in blobs" test -z "$(find "$D/blobs" -name '.tmp*')"

kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
check "SIGTERM: exit 0" test "$rc" = 0
"$MOTE" serve >/dev/null 2>&1; rc=$?
check "serve without --data: usage error 2" test "$rc" = 2

[ "$fails" = 0 ] && echo "all passed" || { echo "$fails failed; server log:"; tail -20 "$W/log"; }
[ "$fails" = 0 ]
