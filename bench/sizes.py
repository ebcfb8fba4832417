#!/usr/bin/env python3
"""Download size of the portal: every file the browser fetches to show /networks.

    bench/sizes.py DIST OUT.json [extra.wasm ...]

For each file of DIST (scripts/build-portal's output: index.html, the JS glue and
loader, the main wasm, the CSS, config.json, the favicon, and the split build's
page modules and shared chunks) it records the raw size and the size after
`gzip -9` and `brotli -q 11` (the command-line tools, so anyone can check).
The total is the first download (what /networks needs); the page modules and
chunks (`page-*`, `chunk_*`), fetched later or while idle, are summed apart.
Extra files (the wasm before wasm-bindgen / before wasm-opt) are measured the
same way for the "where the bytes go" table, not counted in the total.
"""
import json
import os
import subprocess
import sys


def compressed(path: str, cmd: list) -> int:
    with open(path, "rb") as f:
        return len(subprocess.run(cmd, stdin=f, stdout=subprocess.PIPE, check=True).stdout)


def measure(path: str) -> dict:
    return {
        "raw": os.path.getsize(path),
        "gzip": compressed(path, ["gzip", "-9", "-n", "-c"]),
        "brotli": compressed(path, ["brotli", "-q", "11", "-c"]),
    }


def kind(name: str) -> str:
    for ext, k in ((".wasm", "wasm"), (".js", "js"), (".css", "css"), (".html", "html"), (".json", "config"), (".svg", "icon")):
        if name.endswith(ext):
            return k
    return "other"


def main() -> None:
    dist, out, extras = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = []
    for name in sorted(os.listdir(dist)):
        path = os.path.join(dist, name)
        # .br/.gz are precompressed copies of the same files, not extra downloads.
        if os.path.isfile(path) and not name.endswith((".br", ".gz")):
            later = name.startswith(("page-", "chunk_"))
            files.append({"file": name, "kind": kind(name), "later": later, **measure(path)})
    first = [f for f in files if not f["later"]]
    rest = [f for f in files if f["later"]]
    total = {k: sum(f[k] for f in first) for k in ("raw", "gzip", "brotli")}
    later_total = {k: sum(f[k] for f in rest) for k in ("raw", "gzip", "brotli")}
    stages = [{"file": p, **measure(p)} for p in extras if os.path.isfile(p)]
    with open(out, "w") as f:
        json.dump({"files": first, "later": rest, "total": total, "later_total": later_total, "stages": stages}, f, indent=1)
    print(f"sizes: first download {len(first)} files, {total['raw']:,} B raw, {total['gzip']:,} B gzip -9, {total['brotli']:,} B brotli -q 11;"
          f" later {len(rest)} modules, {later_total['brotli']:,} B brotli")


if __name__ == "__main__":
    main()
