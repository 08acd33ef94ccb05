#!/usr/bin/env python3
"""docs/openapi.yaml against moted's route tables (the .c files below SERVICE_DIR,
service/api/ for the server).

Every route of the tables ({"METHOD", "/pattern", ROLES, BODY_LIMIT, handler})
must be an operation of openapi.yaml with the same roles (x-mote-roles), and
every operation must be a route; each route declares a known body limit.
Also: every $ref resolves, every operation has a 2xx answer, token-guarded
operations document 401 and 403 and public ones need no token, path
parameters match the pattern's {...} segments, and no key lacks a value.

usage: openapi_check.py OPENAPI_YAML SERVICE_DIR
"""
import glob
import os
import re
import sys

import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ROLE_NAMES = {"MOTED_ROLE_ADMIN": "admin", "MOTED_ROLE_ENROLL": "enroll", "MOTED_ROLE_DEVICE": "device"}
TABLE = re.compile(r"moted_route\s+\w+\s*\[\]\s*=\s*\{(.*?)\n\};", re.S)
ENTRY = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*([^,{}]+?)\s*,\s*(\w+)\s*,\s*\w+\s*\}')
LIMITS = ("MOTED_BODY_JSON", "MOTED_BODY_MODEL", "MOTED_BODY_DATASET")


def fail(errors, msg):
    errors.append(msg)


def routes_from_c(service_dir, errors):
    """{(METHOD, pattern): sorted role names} from every route table."""
    routes = {}
    for path in sorted(glob.glob(os.path.join(service_dir, "**", "*.c"), recursive=True)):
        text = open(path, encoding="utf-8").read()
        for table in TABLE.findall(text):
            for method, pattern, roles, limit in ENTRY.findall(table):
                if limit not in LIMITS:
                    fail(errors, "%s: %s %s: unknown body limit '%s'" % (path, method, pattern, limit))
                names = []
                for part in roles.split("|"):
                    part = part.strip()
                    if part == "0":
                        continue
                    if part not in ROLE_NAMES:
                        fail(errors, "%s: %s %s: unknown role expression '%s'" % (path, method, pattern, part))
                        continue
                    names.append(ROLE_NAMES[part])
                key = (method, pattern)
                if key in routes:
                    fail(errors, "%s: %s %s: route defined twice" % (path, method, pattern))
                routes[key] = sorted(names)
    return routes


def resolve(doc, ref):
    if not ref.startswith("#/"):
        return None
    node = doc
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def check_refs(doc, node, where, errors):
    """Every $ref resolves; no key without a value (in a flow mapping, an unquoted comma splits a string)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and resolve(doc, ref) is None:
            fail(errors, "openapi: %s: $ref %s does not resolve" % (where, ref))
        for k, v in node.items():
            if v is None:
                fail(errors, "openapi: %s: key '%s' has no value (quote text with commas)" % (where, k))
            check_refs(doc, v, where + "/" + str(k), errors)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            check_refs(doc, v, "%s[%d]" % (where, i), errors)


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(doc, node["$ref"]) or {}
    return node


def operations(doc, errors):
    """{(METHOD, path): operation} of openapi.yaml."""
    ops = {}
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        fail(errors, "openapi: no paths")
        return ops
    for path, item in paths.items():
        if not isinstance(item, dict):
            fail(errors, "openapi: %s: not an object" % path)
            continue
        for key, op in item.items():
            if key in METHODS:
                ops[(key.upper(), path)] = (op, item)
            elif key not in ("parameters", "summary", "description", "servers") and not key.startswith("x-"):
                fail(errors, "openapi: %s: unknown key '%s'" % (path, key))
    return ops


def check_operation(doc, method, path, op, item, roles, errors):
    name = "%s %s" % (method, path)
    have = op.get("x-mote-roles")
    if not isinstance(have, list):
        fail(errors, "openapi: %s: x-mote-roles missing" % name)
    elif sorted(have) != roles:
        fail(errors, "openapi: %s: x-mote-roles %s, the server's route has %s" % (name, sorted(have), roles))
    security = op.get("security", doc.get("security"))
    if not roles and security != []:
        fail(errors, "openapi: %s: public route, but the operation requires a token (want security: [])" % name)
    if roles and not security:
        fail(errors, "openapi: %s: token-guarded route without security" % name)
    responses = op.get("responses") or {}
    codes = {str(c) for c in responses}
    if not any(c.startswith("2") for c in codes):
        fail(errors, "openapi: %s: no 2xx response" % name)
    if roles and not {"401", "403"} <= codes:
        fail(errors, "openapi: %s: 401 and 403 must be documented" % name)
    for code in codes:
        if not re.fullmatch(r"[1-5][0-9][0-9]", code):
            fail(errors, "openapi: %s: response '%s' is not a status code" % (name, code))
        elif code.startswith("4") or (code.startswith("5") and code != "503"):
            body = deref(doc, responses[code])
            schema = deref(doc, (((body.get("content") or {}).get("application/json")) or {}).get("schema"))
            if "error" not in (schema or {}).get("required", []):
                fail(errors, "openapi: %s: %s is not an {\"error\"} JSON body" % (name, code))
    params = [deref(doc, p) for p in (item.get("parameters") or []) + (op.get("parameters") or [])]
    in_path = sorted(p.get("name") for p in params if p.get("in") == "path")
    want = sorted(re.findall(r"\{([^}]+)\}", path))
    if in_path != want:
        fail(errors, "openapi: %s: path parameters %s, the path has %s" % (name, in_path, want))


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    errors = []
    try:
        doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        print("%s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3.0"):
        print("%s: not an OpenAPI 3.0 document" % sys.argv[1], file=sys.stderr)
        return 1
    routes = routes_from_c(sys.argv[2], errors)
    if len(routes) < 10:
        fail(errors, "%s: only %d routes found in the route tables" % (sys.argv[2], len(routes)))
    ops = operations(doc, errors)
    check_refs(doc, doc, "#", errors)
    for key in sorted(set(routes) - set(ops)):
        fail(errors, "openapi: route %s %s of the server is missing" % key)
    for key in sorted(set(ops) - set(routes)):
        fail(errors, "openapi: %s %s is not a route of the server" % key)
    for key in sorted(set(routes) & set(ops)):
        op, item = ops[key]
        check_operation(doc, key[0], key[1], op, item, routes[key], errors)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print("openapi.yaml: %d operations, the same as the server's %d routes" % (len(ops), len(routes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
