#!/usr/bin/env python3
"""Attribute the portal's WebAssembly code to crates and to kinds of code.

    twiggy top -n 1000000 --format csv target/wasm-bindgen/release/nephele_bg.wasm > all.csv
    bench/wasm-crates.py all.csv OUT.json

Input is wasm-bindgen's output *before* wasm-opt (the shipped file has no names).
Each function is charged to the crate its demangled name starts with; for trait
impls (`<A as B>::f`) to the crate of the implementing type A, except that serde
(de)serialisation code, core::fmt machinery and monomorphised generic code are
also counted by kind. Sizes are pre-wasm-opt bytes: wasm-opt -Oz removes about
40 % of code, roughly evenly, so read the shares, not the absolute numbers.
"""
import csv
import json
import re
import sys
from collections import defaultdict


def crate_of(name: str) -> str:
    # `<T as some_crate::Trait>::f` with a generic T: charge the trait's crate.
    g = re.match(r"<([A-Z][A-Za-z0-9]?|\[?[A-Z]\]?|str|\[T\]) as ([A-Za-z_][A-Za-z0-9_]*)", name)
    if g:
        return g.group(2)
    n = name
    while n.startswith("<"):
        n = n[1:]
    n = re.sub(r"^(&mut |&|dyn |impl |\*const |\*mut )+", "", n)
    n = n.lstrip("(<[")
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::", n)
    if m:
        return m.group(1)
    return "(other)"


KINDS = [
    ("drop glue (core::ptr::drop_in_place)", re.compile(r"drop_in_place|core::mem::drop")),
    ("closure shims (FnOnce::call_once)", re.compile(r"core::ops::function")),
    ("serde / JSON (de)serialisation", re.compile(r"serde|[Dd]eserializ|[Ss]erializ|Visitor")),
    ("formatting (core::fmt, Display/Debug, format!)", re.compile(r"core::fmt|fmt::|Display|Debug|format|float_to_decimal|ToString")),
    ("router (leptos_router)", re.compile(r"leptos_router")),
    ("async / futures / wasm-bindgen-futures", re.compile(r"futures|Future|poll|async|Task|waker|Waker")),
    ("view code (tachys, leptos components, children)", re.compile(r"tachys|leptos::|__component|Children|children|IntoView|Render|Mountable")),
    ("reactive system (reactive_graph)", re.compile(r"reactive_graph|Signal|Memo|Effect|Owner")),
    ("panics, errors, alloc", re.compile(r"panic|unwrap|expect|alloc::|dlmalloc|RawVec|Vec<|String")),
]


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    crates = defaultdict(int)
    kinds = defaultdict(int)
    total = code = 0
    special = {}
    with open(src, newline="") as f:
        for row in csv.DictReader(f):
            name, size = row["Name"], int(row["ShallowSize"])
            total += size
            if name.startswith('"function names"') or "subsection" in name or name.startswith("data segment") or name.startswith("elem[") or "custom section" in name:
                special[name] = size
                continue
            if name.startswith("Σ") or name.startswith("..."):
                continue
            code += size
            crates[crate_of(name)] += size
            for label, rx in KINDS:
                if rx.search(name):
                    kinds[label] += size
                    break
            else:
                kinds["other"] += size
    top = sorted(crates.items(), key=lambda kv: -kv[1])
    result = {
        "total": total,
        "code": code,
        "non_code": special,
        "crates": [{"crate": c, "bytes": b, "share": b / code} for c, b in top[:25]],
        "kinds": [{"kind": k, "bytes": b, "share": b / code} for k, b in sorted(kinds.items(), key=lambda kv: -kv[1])],
    }
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print("wasm code by crate (pre-wasm-opt): " + ", ".join(f"{c} {b / code:.0%}" for c, b in top[:8]))


if __name__ == "__main__":
    main()
