#!/usr/bin/env python3
"""End-to-end check of the documented JSON output (docs/schema/*.json): runs every command with
--json on the scenario cores of one Node version and validates each document against its
command's schema (JSON Schema draft 2020-12, python3-jsonschema). Any document that does not
match, any command that does not exit 0, and any two schemas whose shared $defs differ fail it.

Usage: validate_json.py --mortem PATH --schemas DIR --cores DIR [--label TEXT]
  --cores: cores/VERSION with classes/, buffers/ and growth/ (made by tests/e2e/make-cores.sh)
Exits 77 (CTest: skipped) when the cores or the jsonschema module are missing, unless
MORTEM_E2E_REQUIRED=1.
"""
import argparse
import json
import os
import subprocess
import sys
import time

SKIP = 77


def skip(message):
    print(f"[e2e] json schemas: SKIPPED, {message}")
    sys.exit(1 if os.environ.get("MORTEM_E2E_REQUIRED") == "1" else SKIP)


try:
    import jsonschema
except ImportError:
    skip("no python jsonschema module (apt-get install python3-jsonschema)")


class Checker:
    def __init__(self, mortem, schemas):
        self.mortem = mortem
        self.schemas = {}
        for name in sorted(os.listdir(schemas)):
            if name.endswith(".json"):
                with open(os.path.join(schemas, name)) as f:
                    schema = json.load(f)
                jsonschema.Draft202012Validator.check_schema(schema)
                self.schemas[name[:-5]] = schema
        self.failures = []
        self.validated = {}  # schema name -> documents validated
        self.seconds = 0.0

    def fail(self, message):
        print("FAIL: " + message)
        self.failures.append(message)

    def run(self, schema, args):
        """Runs mortem ARGS --json, validates stdout against SCHEMA; returns the document."""
        argv = [self.mortem] + args + ["--json"]
        start = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        self.seconds += time.monotonic() - start
        what = "mortem " + " ".join(args)
        if proc.returncode != 0:
            self.fail(f"{what}: exit {proc.returncode}; stderr:\n{proc.stderr}")
            return None
        try:
            document = json.loads(proc.stdout)
        except ValueError as e:
            self.fail(f"{what}: stdout is not JSON ({e}): {proc.stdout[:300]!r}")
            return None
        validator = jsonschema.Draft202012Validator(self.schemas[schema])
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        for error in errors[:10]:
            where = "/".join(str(p) for p in error.absolute_path) or "(document)"
            self.fail(f"{what}: does not match docs/schema/{schema}.json at {where}: "
                      f"{error.message} (schema rule {'/'.join(map(str, error.schema_path))})")
        if not errors:
            self.validated[schema] = self.validated.get(schema, 0) + 1
        return document

    def check_shared_defs(self):
        """A $def of one name must be the same in every schema that has it."""
        seen = {}
        for name, schema in self.schemas.items():
            for key, value in schema.get("$defs", {}).items():
                if key in seen and seen[key][1] != value:
                    self.fail(f"$defs/{key} differs between {seen[key][0]}.json and {name}.json")
                seen.setdefault(key, (name, value))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mortem", required=True)
    parser.add_argument("--schemas", required=True)
    parser.add_argument("--cores", required=True)
    parser.add_argument("--label", default="?")
    a = parser.parse_args()

    classes = os.path.join(a.cores, "classes", "core")
    buffers = os.path.join(a.cores, "buffers", "core")
    growth = os.path.join(a.cores, "growth")
    for path in (classes, buffers, os.path.join(growth, "core-before"), os.path.join(growth, "core")):
        if not os.path.exists(path):
            skip(f"no {path} (the e2e_cores fixtures could not make it)")

    c = Checker(a.mortem, a.schemas)
    c.check_shared_defs()
    expected = {"info", "objects", "instances", "inspect", "buffers", "read", "refs", "retainers",
                "diff"}
    if set(c.schemas) != expected:
        c.fail(f"docs/schema has {sorted(c.schemas)}, expected one schema per command {sorted(expected)}")

    c.run("info", ["info", classes])
    c.run("objects", ["objects", classes])
    c.run("objects", ["objects", classes, "--retained", "--top", "20"])
    c.run("objects", ["objects", classes, "--by-instance-type", "--top", "5", "--sort", "count"])

    record = None
    doc = c.run("instances", ["instances", classes, "RequestRecord", "--limit", "3"])
    if doc and doc.get("instances"):
        record = doc["instances"][0]["address"]
    c.run("instances", ["instances", classes, "(string)", "--kind", "string", "--limit", "2"])
    c.run("instances", ["instances", classes, "LegacyPoint", "--kind", "closure"])
    if record is None:
        c.fail("no RequestRecord instance to inspect")
    else:
        c.run("inspect", ["inspect", classes, record])
        c.run("inspect", ["inspect", classes, record, "--depth", "0"])
        c.run("refs", ["refs", classes, record])
        c.run("retainers", ["retainers", classes, record, "--paths", "2"])
        for fmt in ("hex", "ascii", "utf8", "utf16", "u8", "u32", "f32", "f64"):
            c.run("read", ["read", classes, record, "--length", "64", "--format", fmt])
    # The object the scenario keeps everything in: properties of every value kind.
    doc = c.run("refs", ["refs", classes, "records", "--name"])
    if doc and doc.get("references"):
        keep = doc["references"][0]["holder"]
        c.run("inspect", ["inspect", classes, keep, "--depth", "2", "--elements", "3"])
        c.run("retainers", ["retainers", classes, keep, "--weak"])
    else:
        c.fail("refs --name records found no holder")
    c.run("refs", ["refs", classes, "/api/items/7", "--string"])

    doc = c.run("buffers", ["buffers", buffers])
    c.run("buffers", ["buffers", buffers, "--paths", "--top", "5"])
    if doc and doc.get("array_buffers"):
        first = next((b for b in doc["array_buffers"] if b["byte_length"] > 0 and b["data_in_core"]), None)
        if first:
            c.run("read", ["buffers", buffers, "--dump", first["address"], "--length", "32"])

    old, new = os.path.join(growth, "core-before"), os.path.join(growth, "core")
    c.run("diff", ["diff", old, new, "--top", "30"])
    c.run("diff", ["diff", old, new, "--retained", "--sort", "retained", "--top", "10", "--paths", "1"])
    c.run("diff", ["diff", old, new, "--grown-only", "--sort", "count", "--paths", "0"])

    missing = expected - set(c.validated)
    if missing:
        c.fail(f"no valid document of {sorted(missing)}")
    total = sum(c.validated.values())
    print(f"[e2e] {a.label} json schemas: {total} documents of {len(c.validated)} commands valid, "
          f"{len(c.failures)} failures; mortem {c.seconds:.1f}s")
    sys.exit(1 if c.failures else 0)


if __name__ == "__main__":
    main()
