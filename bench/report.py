#!/usr/bin/env python3
"""Write the figures of `make bench` into BENCHMARKS.md.

    bench/report.py RESULTS_DIR BENCHMARKS.md ELAPSED_SECONDS

Everything between the markers `<!-- bench:begin -->` and `<!-- bench:end -->`
is regenerated from RESULTS_DIR (sizes.json, wasm-crates.json, browser.json,
load.json, gateway.json); the hand-written analysis around it is kept. Sections whose results
are missing (a partial run, PHASES=...) keep a note instead of figures.
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
SIZE_BUDGET = 200_000
RATIO_BUDGET = 1.5
UPDATE_BUDGET_MS = 2.0


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def med(xs):
    xs = [x for x in xs if isinstance(x, (int, float))]
    return statistics.median(xs) if xs else None


def kb(n):
    return "–" if n is None else f"{n / 1000:,.1f} kB"


def mib(n):
    return "–" if n is None else f"{n / 2**20:,.1f} MiB"


def ms(x, digits=0):
    return "–" if x is None else f"{x:,.{digits}f} ms"


def ratio(a, b):
    return None if a is None or not b else a / b


def verdict(ok):
    return "✅" if ok else "❌ over"


def machine():
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) * 1024
    except OSError:
        mem = 0
    try:
        kernel = subprocess.run(["uname", "-sr"], capture_output=True, text=True).stdout.strip()
    except OSError:
        kernel = ""
    return f"{os.cpu_count()} CPUs ({cpu}), {mem / 2**30:.0f} GiB RAM, {kernel}"


def sizes_section(out, res):
    s = load(f"{res}/sizes.json")
    w = out.append
    w("### 1. Download size (`/networks`)\n")
    if not s:
        w("_Not measured in this run._\n")
        return
    w("Every file the browser fetches to show `/networks` (the page's HTML, the JS glue and the split loader, the "
      "main wasm, the CSS, `config.json`, the favicon), as built by `scripts/build-portal` (split by page); "
      "compressed with the command-line `gzip -9` and `brotli -q 11`. 1 kB = 1,000 bytes.\n")
    w("| file | raw | gzip -9 | brotli -q 11 |")
    w("| --- | ---: | ---: | ---: |")
    for f in s["files"]:
        w(f"| `{f['file']}` ({f['kind']}) | {f['raw']:,} | {f['gzip']:,} | {f['brotli']:,} |")
    t = s["total"]
    w(f"| **total** | **{t['raw']:,}** | **{t['gzip']:,}** | **{t['brotli']:,}** |")
    w("")
    lt = s.get("later_total")
    if lt:
        w(f"The other pages' modules and the chunks they share ({len(s['later'])} files, fetched on a page's first "
          f"open or while idle): {lt['raw']:,} B raw, {lt['gzip']:,} B gzip, **{lt['brotli']:,} B brotli**.\n")
    w(f"Budget ≤ {SIZE_BUDGET:,} bytes brotli in total: **{t['brotli']:,}** → {verdict(t['brotli'] <= SIZE_BUDGET)}"
      f" ({t['brotli'] / SIZE_BUDGET:.2f}× the budget). For scale, Skyline's console ships about 1.7 MB brotli of JavaScript.\n")
    if s.get("stages"):
        w("The wasm along the pipeline:\n")
        w("| stage | raw | gzip -9 | brotli -q 11 |")
        w("| --- | ---: | ---: | ---: |")
        labels = {"nephele.wasm": "cargo output (`opt-level=\"z\"`, LTO), before the split"}
        for f in s["stages"]:
            name = os.path.basename(f["file"])
            if name.endswith("_bg.wasm"):
                name = "main module after wasm-split and wasm-bindgen (with the name section)"
            w(f"| {labels.get(name, name)} | {f['raw']:,} | {f['gzip']:,} | {f['brotli']:,} |")
        wasm = next((f for f in s["files"] if f["kind"] == "wasm"), None)
        if wasm:
            w(f"| main module shipped, after `wasm-opt -Oz` (binaryen 132) | {wasm['raw']:,} | {wasm['gzip']:,} | {wasm['brotli']:,} |")
        w("")
    c = load(f"{res}/wasm-crates.json")
    if c:
        rodata = c["non_code"].get('data segment ".rodata"', 0)
        w(f"Where the wasm code goes (`bench/wasm-crates.py` over `twiggy top` of the wasm-bindgen output: "
          f"{c['code']:,} bytes of code before wasm-opt, plus {rodata:,} bytes of "
          f"read-only data; the name section is not shipped):\n")
        w("| crate | share of code | | kind of code | share of code |")
        w("| --- | ---: | --- | --- | ---: |")
        crates, kinds = c["crates"][:12], c["kinds"]
        for i in range(max(len(crates), len(kinds))):
            a = crates[i] if i < len(crates) else None
            b = kinds[i] if i < len(kinds) else None
            ca = ("`" + a["crate"] + "`") if a else ""
            sa = format(a["share"], ".1%") if a else ""
            kb_ = b["kind"] if b else ""
            sb = format(b["share"], ".1%") if b else ""
            w(f"| {ca} | {sa} | | {kb_} | {sb} |")
        w("")


def browser_section(out, res):
    b = load(f"{res}/browser.json")
    w = out.append
    w("### 2. Start-up, rendering, update and memory (headless Chromium)\n")
    if not b:
        w("_Not measured in this run._\n")
        return b
    seed = b.get("seed", {})
    w(f"Chromium {b.get('chromium', '?')} (Debian, headless, driven by playwright-core), against nephele-cloud seeded by "
      f"`bench/gen-seed.py`: one tenant with **{seed.get('networks')} networks, {seed.get('ports'):,} ports** (on 625 servers) and "
      f"**{seed.get('floatingIps', 0):,} floating IPs**. Median of **{b['runs']} runs** each; portal and floor runs alternate. "
      "Cold = a fresh browser context (empty HTTP cache); warm = the same tab opens the page again. "
      "Time is from navigation start to the moment the table holds all its rows (a MutationObserver installed before the "
      "page's own scripts), and to the end of the first frame after that (`requestAnimationFrame` + `setTimeout 0`), "
      "which includes style and layout of the whole table; the floor is `bench/floor/` (plain JavaScript, same JSON requests in the same order, same row markup, "
      "one `innerHTML`).\n")
    st, wm = b.get("startup"), b.get("warm")
    if st:
        w("| figure | Nephele | floor | ratio | budget ≤ 1.5 |")
        w("| --- | ---: | ---: | ---: | --- |")
        for which, label in (("networks", f"`/networks`, {seed.get('networks')} networks"), ("ports", f"`/ports`, {seed.get('ports'):,} ports")):
            for kind, data in (("cold", st), ("warm", wm)):
                for key, what in (("frameMs", "table rendered (first frame after all rows are in)"), ("tableMs", "all rows in the DOM")):
                    n = med([r[key] for r in data["nephele"][which]])
                    f = med([r[key] for r in data["floor"][which]])
                    r = ratio(n, f)
                    budget = verdict(r is not None and r <= RATIO_BUDGET) if key == "frameMs" else "(info)"
                    w(f"| navigation → {what}: {label}, {kind} | {ms(n)} | {ms(f)} | {r:.2f} | {budget} |" if r else f"| {label} {kind} | – | – | – | |")
        up = b.get("update")
        if up:
            n = med([r.get("scriptMs") for r in up["nephele"]])
            f = med([r.get("scriptMs") for r in up["floor"]])
            r = ratio(n, f)
            w(f"| one port's status change applied to the {seed.get('ports'):,}-row table: script time | {ms(n, 2)} | {ms(f, 2)} | "
              f"{r:.1f} | ≤ {UPDATE_BUDGET_MS} ms: {verdict(n is not None and n <= UPDATE_BUDGET_MS)} |" if r else "| update | – | – | – | |")
        mem = b.get("memory")
        if mem:
            tot = lambda m: (m["jsHeapUsed"] or 0) + (m["wasmMemory"] or 0)
            n = med([tot(m) for m in mem["nephele"]])
            f = med([tot(m) for m in mem["floor"]])
            w(f"| memory with {seed.get('ports'):,} ports: JS heap (after GC) + wasm memory | {mib(n)} | {mib(f)} | {ratio(n, f):.2f} | "
              f"{verdict(ratio(n, f) <= RATIO_BUDGET)} |")
        w("")
        # Details: where the start-up time goes.
        w("Start-up milestones (medians, cold, ms from navigation start): app code = the JS glue and wasm "
          "(Nephele) or floor.js downloaded; started = Trunk's `TrunkApplicationStarted` (wasm instantiated, `main` run); "
          "API = first API request sent → last API response received.\n")
        w("| page | impl | app code loaded | started | first API request | last API response | table | next frame | API calls |")
        w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for which in ("networks", "ports"):
            for impl in ("nephele", "floor"):
                runs = st[impl][which]
                g = lambda k: med([r.get(k) for r in runs])
                calls = len(runs[0].get("apiCalls", [])) if runs else 0
                w(f"| `/{which}` | {impl} | {ms(g('appLoadedMs'))} | {ms(g('startedMs'))} | {ms(g('firstApiMs'))} | "
                  f"{ms(g('lastApiMs'))} | {ms(g('tableMs'))} | {ms(g('frameMs'))} | {calls} |")
        w("")
    up = b.get("update")
    if up:
        w("One-row update, in detail (medians; from a Chromium performance trace of the task in which the poll answer "
          "for the port arrives and the row changes: script = JavaScript + WebAssembly + GC in that task, task = the whole task; "
          "render = style, layout and paint in the 100 ms after it; body→DOM = from the response body being handed to the page "
          "to the badge text changing):\n")
        w("| impl | script | of it, the bench's observer | task | render after | body → DOM | runs |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for impl in ("nephele", "floor"):
            rs = up[impl]
            g = lambda k: med([r.get(k) for r in rs])
            w(f"| {impl} | {ms(g('scriptMs'), 2)} | {ms(g('benchScriptMs'), 2)} | {ms(g('taskMs'), 2)} | {ms(g('renderNextFrameMs'), 2)} | "
              f"{ms(g('bodyToDomMs'), 2)} | {len(rs)} |")
        w("")
    mem = b.get("memory")
    if mem:
        w(f"Memory with the {seed.get('ports'):,}-port table (medians; `HeapProfiler.collectGarbage` first; wasm memory = the "
          "size of the module's linear memory, which never shrinks):\n")
        w("| impl | JS heap used | wasm memory | total | DOM nodes |")
        w("| --- | ---: | ---: | ---: | ---: |")
        for impl in ("nephele", "floor"):
            ms_ = mem[impl]
            g = lambda k: med([m.get(k) for m in ms_])
            w(f"| {impl} | {mib(g('jsHeapUsed'))} | {mib(g('wasmMemory'))} | {mib((g('jsHeapUsed') or 0) + (g('wasmMemory') or 0))} | {g('domNodes'):,.0f} |")
        w("")
    idle = b.get("idle")
    if idle:
        w(f"Idle cost with the {seed.get('ports'):,}-port table shown and nothing pending (CDP `Performance.getMetrics` "
          "ScriptDuration / TaskDuration over 10 s): " + "; ".join(
              f"{impl}: {v['scriptMsPerS']:.1f} ms of script and {v['taskMsPerS']:.1f} ms of main-thread tasks per second"
              for impl, v in idle.items()) + ".")
        settle = [(impl, v) for impl, v in idle.items() if "settleTaskMs" in v]
        if settle:
            w(f"Those 10 s start {settle[0][1]['settleS']} s after the table showed. The seconds before them hold one-time "
              "work, the portal's prefetch of the other pages' modules among it: " + "; ".join(
                  f"{impl}: {v['settleTaskMs']:.0f} ms of main-thread tasks ({v['settleScriptMs']:.0f} ms script)"
                  for impl, v in settle) + ".")
        w("")
    prof = b.get("profile")
    if prof:
        w("Where the start-up time goes (one traced cold run each, not in the medians above; main thread of the page, "
          "navigation start → table; wasm compile is counted on any thread):\n")
        w("| run | total | main thread busy | script (JS+wasm+GC) | style/layout/paint | HTML parse | wasm compile | idle / waiting on network |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for k, p in prof.items():
            if "error" in p:
                w(f"| {k} | {p['error']} | | | | | | |")
                continue
            w(f"| {k} | {ms(p['totalMs'])} | {ms(p['mainThreadBusyMs'])} | {ms(p['scriptMs'])} | {ms(p['styleLayoutPaintMs'])} | "
              f"{ms(p['parseHtmlMs'])} | {ms(p['wasmCompileAnyThreadMs'])} | {ms(p['idleOrWaitingMs'])} |")
        w("")
        w("The traces are in `target/bench/results/trace-*.json` (open them in Chromium's DevTools, Performance panel).\n")
    pr = load(f"{res}/profile.json")
    if pr:
        w("Where the portal's script time goes, by function: V8 CPU profiles (100 µs sampling) of the same build with "
          "function names (the wasm-bindgen output before wasm-opt), `bench/profile.mjs`; self time, top entries:\n")
        for key, label in (("startupNetworks", f"start-up of `/networks` ({seed.get('networks')} rows)"),
                           ("startup", f"start-up of `/ports` ({seed.get('ports'):,} rows)"),
                           ("update", "the window in which one port turns ACTIVE (also holds the clock ticks of that window)"),
                           ("idle", "idle, 5 s, nothing pending")):
            p = pr.get(key)
            if not p:
                continue
            w(f"- **{label}**: {p['busyMs']:,.0f} ms busy" + (f" in {p.get('windowS', p.get('seconds')):.1f} s" if p.get('windowS') or p.get('seconds') else ""))
            for t in p["top"][:6]:
                w(f"  - {t['share']:.0%} ({t['ms']:,.0f} ms) `{t['name'][:140]}`")
        w("")
    if b.get("markup"):
        w("<details><summary>First row of <code>/ports</code>, as each renders it</summary>\n")
        for impl, html in b["markup"].items():
            w(f"{impl}:\n\n```html\n{html}\n```\n")
        w("</details>\n")
    return b


def poll_section(out, b):
    w = out.append
    w("### 3. Polling cost\n")
    p = b and b.get("poll")
    if not p:
        w("_Not measured in this run._\n")
        return
    w(f"The portal on `/ports` ({b['seed']['ports']:,} ports, plus N pending ones: BUILD ports made through the API on "
      f"distinct servers, with a build delay of an hour so they stay pending). Requests counted by the server (`/metrics`, "
      f"by route) over {p['windowS']} s, from {p.get('settleS', 2.5)} s after the table showed, scaled to a minute; bytes = the "
      "cloud's response bodies + headers as the browser received them (the cloud compresses; the portal's own files, which "
      "the browser fetches once, are not polling and are left out: the visible runs fetched "
      f"{', '.join(kb(s.get('assetBytesPerMin', 0)) for s in p['scenarios'] if not s['hidden'])} of them per minute in the window); script = CDP ScriptDuration. kamaki's `port create --wait` polls "
      "`GET /ports/<id>` once per second **per port** (one process each).\n")
    w("| pending ports | tab | portal requests/min | what | transferred/min | portal script/min | kamaki `--wait` requests/min |")
    w("| ---: | --- | ---: | --- | ---: | ---: | ---: |")
    for s in p["scenarios"]:
        what = ", ".join(f"{v:.0f}× `{k.rsplit(' ', 1)[0]}`" for k, v in sorted(s["byRoute"].items(), key=lambda kv: -kv[1])) or "nothing"
        vis = s["visibility"]
        tab = f"hidden ({vis['method']}; `document.visibilityState` = {vis['state']})" if s["hidden"] else "visible"
        script = "n/a †" if s["hidden"] else ms(s["scriptMsPerMin"])
        w(f"| {s['pending']} | {tab} | {s['requestsPerMin']:.0f} | {what} | {kb(s['bytesPerMin'])} | {script} | "
          f"{s['kamakiRequestsPerMin']} |")
    w("")
    w("† The hidden tab runs in a second, plain Chromium (see `bench/hidden.mjs`) whose renderer Chromium puts at "
      "background priority once the tab is hidden; on a loaded machine its wall-clock script time is inflated and "
      "not comparable with the rows above (it is kept in `browser.json`). What matters there is the request count.\n")


def poll_memory(out, b):
    p = b and b.get("poll")
    m = p and p.get("memory")
    if not m:
        return
    tot = lambda x: (x["jsHeapUsed"] or 0) + (x["wasmMemory"] or 0)
    out.append(f"Memory of a long-open tab (`/ports`, {m['pending']} ports pending and polled, tab in front; JS heap after GC "
               f"+ wasm memory): **{mib(tot(m['loaded']))}** after the load, **{mib(tot(m['after']))}** after "
               f"{m['seconds'] // 60:.0f} min of polling.\n")


# Issue 15's budgets (BENCHMARKS.md "Big tenants"), from one run.
BIG = {"render": 1.0, "idle_ms_s": 2.0, "memory": 25 * 2**20, "dom": 5000, "update_ms": 1.0, "poll_share": 0.10,
       "huge_render": 0.5, "huge_memory": 150 * 2**20, "poll_before_kb_min": 4490.7}


def big_tenant_section(out, b):
    w = out.append
    w("### 3b. Big tenants: 5,000 and 50,000 ports\n")
    if not b:
        w("_Not measured in this run._\n")
        return
    w("| budget | Nephele | floor | verdict |")
    w("| --- | ---: | ---: | --- |")
    st, mem, up, idle = b.get("startup"), b.get("memory"), b.get("update"), b.get("idle")
    ports = b.get("seed", {}).get("ports", 0)
    tot = lambda m: (m["jsHeapUsed"] or 0) + (m["wasmMemory"] or 0)
    if st:
        for kind, data in (("cold", st), ("warm", b.get("warm"))):
            n = med([r["frameMs"] for r in data["nephele"]["ports"]])
            f = med([r["frameMs"] for r in data["floor"]["ports"]])
            r = ratio(n, f)
            w(f"| {ports:,} ports: navigation → `/ports` table rendered ≤ {BIG['render']}× the floor, {kind} | {ms(n)} | {ms(f)} | "
              f"{r:.2f}× {verdict(r is not None and r <= BIG['render'])} |")
    if idle:
        n, f = idle["nephele"]["taskMsPerS"], idle["floor"]["taskMsPerS"]
        w(f"| {ports:,}: idle main thread, nothing pending (from {idle['nephele'].get('settleS', 2)} s after the table), ≤ {BIG['idle_ms_s']} ms/s | {n:.1f} ms/s | {f:.1f} ms/s | "
          f"{verdict(n <= BIG['idle_ms_s'])} |")
    if mem:
        n = med([tot(m) for m in mem["nephele"]])
        f = med([tot(m) for m in mem["floor"]])
        w(f"| {ports:,}: JS heap + wasm memory ≤ {mib(BIG['memory'])} | {mib(n)} | {mib(f)} | {verdict(n <= BIG['memory'])} |")
        n = med([m["domNodes"] for m in mem["nephele"]])
        f = med([m["domNodes"] for m in mem["floor"]])
        w(f"| {ports:,}: DOM nodes ≤ {BIG['dom']:,} | {n:,.0f} | {f:,.0f} | {verdict(n <= BIG['dom'])} |")
    if up:
        n = med([r.get("scriptMs") for r in up["nephele"]])
        f = med([r.get("scriptMs") for r in up["floor"]])
        w(f"| {ports:,}: one port's status change ≤ {BIG['update_ms']} ms of script, all of the task's | {ms(n, 2)} | {ms(f, 2)} | "
          f"{verdict(n is not None and n <= BIG['update_ms'])} |")
        if all("pageScriptMs" in r for r in up["nephele"] + up["floor"]):
            n = med([r["pageScriptMs"] for r in up["nephele"]])
            f = med([r["pageScriptMs"] for r in up["floor"]])
            w(f"| {ports:,}: the same without the bench's own MutationObserver | {ms(n, 2)} | {ms(f, 2)} | "
              f"{verdict(n is not None and n <= BIG['update_ms'])} |")
    p = b.get("poll")
    ten = next((s for s in (p or {}).get("scenarios", []) if s["pending"] == 10 and not s["hidden"]), None)
    if ten:
        share = ten["bytesPerMin"] / 1000 / BIG["poll_before_kb_min"]
        w(f"| polling, 10 pending among {ports:,}, ≤ 10 % of {BIG['poll_before_kb_min']:,} kB/min (before issue 15) | "
          f"{kb(ten['bytesPerMin'])}/min, {ten['requestsPerMin']:.0f} req/min | | {share:.1%} {verdict(share <= BIG['poll_share'])} |")
    h = b.get("huge")
    if h:
        n = med([r["frameMs"] for r in h["startup"]["nephele"]])
        f = med([r["frameMs"] for r in h["startup"]["floor"]])
        r = ratio(n, f)
        w(f"| {h['ports']:,} ports: table rendered ≤ {BIG['huge_render']}× the floor (cold) | {ms(n)} | {ms(f)} | "
          f"{r:.2f}× {verdict(r is not None and r <= BIG['huge_render'])} |")
        n = med([tot(m) for m in h["memory"]["nephele"]])
        f = med([tot(m) for m in h["memory"]["floor"]])
        w(f"| {h['ports']:,}: memory ≤ {mib(BIG['huge_memory'])} | {mib(n)} | {mib(f)} | {verdict(n <= BIG['huge_memory'])} |")
        pd = h.get("pageDown", {})
        if pd.get("nephele"):
            a, fl = pd["nephele"], pd.get("floor")
            fl_txt = f"{fl['tasksOver50ms']}, longest {ms(fl['longestTaskMs'], 1)}" if fl else "–"
            w(f"| {h['ports']:,}: PageDown from top to bottom, no task over 50 ms in a trace | {a['tasksOver50ms']}, longest "
              f"{ms(a['longestTaskMs'], 1)} ({a['presses']:,} presses) | {fl_txt} | {verdict(a['tasksOver50ms'] == 0)} |")
    w("")
    if h:
        n = med([m["domNodes"] for m in h["memory"]["nephele"]])
        w(f"{h['ports']:,} ports (`bench/gen-seed.py --ports 50000`, {h['runs']} cold runs each, medians): the portal holds "
          f"{n:,.0f} DOM nodes at the top and {h.get('domNodesMiddle', 0):,} elements scrolled to the middle. The PageDown run "
          "counts main-thread tasks over 50 ms in a Chromium trace (`trace-pagedown-*.json`); a `longtask` observer in the page "
          "saw " + ", ".join(f"{impl}: {v['longTaskObserver']['count']}" for impl, v in h.get("pageDown", {}).items()) + ".\n")
    poll_memory(out, b)


def get_size(l):
    for r in l["runs"]:
        if r["kind"] == "get":
            return int(r["oha"]["summary"].get("sizePerRequest") or 0)
    return 0


def load_section(out, res):
    w = out.append
    w("### 4. Local cloud under load\n")
    l = load(f"{res}/load.json")
    if not l:
        w("_Not measured in this run._\n")
        return
    w(f"`nephele-cloud` (profile `server`, `RUST_LOG=warn`, temporary SQLite database) seeded with {l['ports']:,} ports; the "
      f"load generator runs on the same cores. `GET /network/v2.0/ports` ({l['listBytes']:,} bytes of JSON; oha asks for "
      f"compression, so about {get_size(l):,} bytes per answer on the wire) with {l['oha']}, {l['seconds']} s per level; "
      "requests still in flight when oha's duration ends are dropped, not counted as errors; "
      "create/delete with `bench/churn.mjs` "
      "(each client: `POST /ports` for an unattached port, then `DELETE` of it).\n")
    w("| request | clients | requests/s | p50 | p99 | errors |")
    w("| --- | ---: | ---: | ---: | ---: | --- |")
    for r in l["runs"]:
        if r["kind"] == "get":
            o = r["oha"]
            lp = o.get("latencyPercentiles", {})
            codes = o.get("statusCodeDistribution", {})
            bad = {k: v for k, v in codes.items() if k != "200"}
            # oha cuts the requests still in flight when the duration ends: not errors of the server.
            errs = {k: v for k, v in o.get("errorDistribution", {}).items() if "deadline" not in k}
            w(f"| `GET /ports` ({l['ports']:,} ports) | {r['clients']} | {o['summary']['requestsPerSec']:,.0f} | "
              f"{ms((lp.get('p50') or 0) * 1000, 1)} | {ms((lp.get('p99') or 0) * 1000, 1)} | {bad or errs or 'none'} |")
    for r in l["runs"]:
        if r["kind"] == "churn":
            c = r["result"]
            w(f"| `POST /ports` (create) | {r['clients']} | {c['create']['count'] / c['seconds']:,.0f} | {ms(c['create']['p50'], 1)} | "
              f"{ms(c['create']['p99'], 1)} | {c['errors'] or 'none'} |")
            w(f"| `DELETE /ports/<id>` | {r['clients']} | {c['delete']['count'] / c['seconds']:,.0f} | {ms(c['delete']['p50'], 1)} | "
              f"{ms(c['delete']['p99'], 1)} | |")
    w("")
    w(f"Server memory: {mib(l['rssIdle'])} resident after start-up and seeding, **peak {mib(l['peakRss'])}** (VmHWM) "
      f"over the whole load run.\n")
    try:
        perf = open(f"{res}/perf-get-ports.txt").read().strip()
    except FileNotFoundError:
        perf = ""
    if perf:
        w("`perf record -g` of the server during an extra 16-client `GET /ports` run (self time, top symbols):\n")
        w("```\n" + "\n".join(perf.splitlines()[:20]) + "\n```\n")


def decode_section(out, res):
    w = out.append
    w("### 3c. Decoding a big list: text, bytes or `Response.json()`\n")
    d = load(f"{res}/decode.json")
    if not d:
        w("_Not measured in this run._\n")
        return
    w("Three ways for a wasm module to turn the cloud's port list into the model's `Vec<Port>` (lean, as in "
      "the portal), each built alone with the portal's release profile (`bench/decode/run`): **text** "
      "(`Response.text()`, copied into a `String`, `serde_json`: the portal before issue 15), **bytes** "
      "(`Response.arrayBuffer()`, copied into a `Vec<u8>`, `serde_json`: the portal now, `api::exchange`) and "
      "**value** (`Response.json()`, the browser parses, `serde-wasm-bindgen`). Module after `wasm-opt -Oz`:\n")
    w("| way | wasm | wasm brotli | JS glue | JS glue brotli |")
    w("| --- | ---: | ---: | ---: | ---: |")
    for way, s in d["sizes"].items():
        w(f"| {way} | {s['wasm']:,} B | {s['wasmBr']:,} B | {s['glue']:,} B | {s['glueBr']:,} B |")
    w("")
    w(f"The list from nephele-cloud, same origin, compressed as the portal gets it; each run in a fresh "
      f"{d['chromium'] or 'Chromium'}, medians of {d['runs']}. Wasm memory never shrinks, so what it holds after "
      "the decode is also its peak; JS heap after a forced GC, the list still held; renderer peak = growth of "
      "the renderer's peak resident memory (VmHWM, reset just before) during the decode, the peak of everything; "
      "time includes reading the body (informative, cold).\n")
    w("| ports (JSON) | way | wasm memory | JS heap after GC | renderer peak growth | time |")
    w("| --- | --- | ---: | ---: | ---: | ---: |")
    for l in d["lists"]:
        for way, r in l["ways"].items():
            m = r["median"]
            w(f"| {l['seeded']:,} ({l['jsonBytes'] / 1e6:.1f} MB) | {way} | {mib(m['wasmAfter'])} | "
              f"{mib(m['heapAfterGc'])} | +{mib(m['rssPeakGrowth'])} | {ms(m['ms'])} |")
    w("")


def gateway_section(out, res):
    w = out.append
    w("### 5. Gateway overhead in front of OpenStack\n")
    g = load(f"{res}/gateway.json")
    if not g:
        w("_Not measured in this run._\n")
        return
    w(f"Real Keystone 30 and Neutron 29 (`scripts/openstack`, loopback, wsgiref servers), and "
      f"`nephele-cloud --upstream …/v3` (profile `server`, `RUST_LOG=warn`) in front (`bench/gateway.py`, "
      f"{g['date'][:16].replace('T', ' ')} UTC). The same request direct and through the gateway, one at a time, "
      f"alternating, {g['requests']:,} of each after {g['warmup']} warm-up pairs; time from sending to the last "
      f"byte of the answer. Through the gateway the networks list is `{g['networks_path']}`.\n")
    w("| request | direct p50 | gateway p50 | direct p99 | gateway p99 | difference p50 / p99 | median paired difference |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in g["cases"]:
        d, v, x = c["direct"], c["gateway"], c["difference"]
        w(f"| `{c['name']}` ({c['bytes']['direct']:,} bytes) | {ms(d['p50'], 2)} | {ms(v['p50'], 2)} | "
          f"{ms(d['p99'], 2)} | {ms(v['p99'], 2)} | {x['p50']:+.2f} / {x['p99']:+.2f} ms | {x['paired_p50']:+.2f} ms |")
    w("")
    w(f"Gateway memory: peak {mib(g['gateway_rss_peak'])} resident (VmHWM) over the run.\n")


def transfer_section(out, res):
    t = load(f"{res}/transfer.json")
    w = out.append
    w("### 1b. Bytes transferred, measured in the browser\n")
    if not t:
        w("_Not measured in this run._\n")
        return
    kb = lambda n: f"{n / 1000:.1f} kB"
    w("What headless Chromium fetched of the portal's code (Resource Timing `transferSize`: brotli bodies as "
      "nephele-cloud serves them, plus headers; the document included, API answers not), each figure in a fresh "
      "context with an empty cache, signed in (`bench/transfer.mjs`). Round trips: how many times a fetch had to "
      "wait for another to end.\n")
    w("| what | files | transferred | of which bodies | round trips |")
    w("| --- | ---: | ---: | ---: | ---: |")
    for label, key in (("`/networks` cold (prefetch off)", "cold_networks"), ("`/ports` cold (prefetch off)", "cold_ports")):
        c = t[key]
        w(f"| {label} | {c['files']} | **{kb(c['transfer'])}** | {kb(c['body'])} | {c['round_trips']} |")
    for o in t["prefetch_off"]["opens"]:
        w(f"| then first open of `{o['page']}` (prefetch off; shown {o['shown_ms']} ms after the click) | {o['files']} | "
          f"{kb(o['transfer'])} | {kb(o['body'])} | {o['round_trips']} |")
    on = t["prefetch_on"]
    extra = on["landing"]["transfer"] - t["cold_networks"]["transfer"]
    w(f"| `/networks` with prefetch on, after the idle prefetch | {on['landing']['files']} | {kb(on['landing']['transfer'])} "
      f"(+{kb(extra)}) | {kb(on['landing']['body'])} | |")
    for o in on["opens"]:
        w(f"| then first open of `{o['page']}` (prefetch on; shown {o['shown_ms']} ms after the click) | {o['files']} | "
          f"{kb(o['transfer'])} | {kb(o['body'])} | {o['round_trips']} |")
    cold = t["cold_networks"]["transfer"]
    w("")
    w(f"Issue 16's goal, `/networks` cold ≤ 250 kB: **{kb(cold)}** → {verdict(cold <= 250_000)}.\n")


def main():
    res, md, elapsed = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out = []
    w = out.append
    b = load(f"{res}/browser.json")
    when = (b or {}).get("date") or datetime.datetime.now(datetime.timezone.utc).isoformat()
    w(BEGIN)
    w("")
    w("## Figures\n")
    w(f"_Generated by `make bench` ({'took ' + str(elapsed // 60) + ' min ' + str(elapsed % 60) + ' s' if elapsed else 'partial run'}) "
      f"on {when[:16].replace('T', ' ')} UTC. Machine: {machine()}. Do not edit by hand: `make bench` rewrites this section._\n")
    sizes_section(out, res)
    transfer_section(out, res)
    b = browser_section(out, res)
    poll_section(out, b)
    big_tenant_section(out, b)
    decode_section(out, res)
    load_section(out, res)
    gateway_section(out, res)
    w(END)
    block = "\n".join(out)
    try:
        text = open(md).read()
    except FileNotFoundError:
        text = f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(md, "w") as f:
        f.write(text)
    print(f"report: wrote the figures into {md}")


if __name__ == "__main__":
    main()
