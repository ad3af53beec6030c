"""The six goals of issue 12, judged from one serving benchmark's results, and its Markdown.

Every ratio compares figures measured in the same sitting (medians of the interleaved rounds).
"""

KB = 1024
GROWTH_TOLERANCE = 1.5  # large-data CPU time may be this much of the small one (noise)
GROWTH_SLACK_MS = 1.0  # plus this, for pages that take a millisecond or two
# Servers that run no code of ours, or other code besides: their workers' memory is reported
# but not judged (the stock baseline imports xtd's URLs, Django REST framework and more).
NOOP_SERVER = "do-nothing WSGI"
STOCK_SERVER = "stock xtd templates (bench URLs)"
# The smallest Django site on the same database and cache (tests/bench/smallest_site.py).
FLOOR_SQLITE = "smallest Django site (SQLite)"
FLOOR_PG = "smallest Django site (PostgreSQL+Redis)"
FLOOR_SERVERS = {FLOOR_SQLITE: "SQLite", FLOOR_PG: "PostgreSQL+Redis"}
BASELINE_SERVERS = {NOOP_SERVER, STOCK_SERVER, *FLOOR_SERVERS}


def _by_key(results: dict) -> dict:
    return {target["key"]: target for target in results["targets"]}


def _rps(targets: dict, key: str) -> float:
    return targets[key]["median"]["rps"] if key in targets else 0.0


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def growth_rows(growth: dict) -> list[dict]:
    rows = []
    for database, pages in growth.items():
        for page, sizes in pages.items():
            small, large = sizes["small"], sizes["large"]
            flat_queries = large["queries"] <= small["queries"]
            limit = small["cpu_ms"] * GROWTH_TOLERANCE + GROWTH_SLACK_MS
            rows.append(
                {
                    "database": database,
                    "page": page,
                    "queries": (small["queries"], large["queries"]),
                    "cpu_ms": (small["cpu_ms"], large["cpu_ms"]),
                    "flat": flat_queries and large["cpu_ms"] <= limit,
                }
            )
    return rows


def goals(results: dict) -> list[dict]:
    t = _by_key(results)
    out = []

    cached, noop = t.get("cached-sqlite"), _rps(t, "noop")
    ratio = _ratio(cached["median"]["rps"], noop)
    p99 = cached["median"]["p99_ms"]
    pg = t.get("cached-pg")
    detail = f"{ratio:.0%} of do-nothing WSGI, p99 {p99:.1f} ms (SQLite)"
    if pg:
        detail += (
            f"; PostgreSQL+Redis {_ratio(pg['median']['rps'], noop):.0%}, "
            f"p99 {pg['median']['p99_ms']:.1f} ms"
        )
    out.append(
        {
            "goal": "1. Cached page, app alone",
            "target": "≥ 70 % of do-nothing WSGI, p99 ≤ 20 ms",
            "measured": detail,
            "pass": ratio >= 0.70 and p99 <= 20,
        }
    )

    ratio = _ratio(_rps(t, "microcache"), _rps(t, "nginx-gzip-static"))
    out.append(
        {
            "goal": "2. Behind the shipped nginx",
            "target": "≥ 50 % of nginx static (same gzipped bytes)",
            "measured": f"{ratio:.0%} of nginx gzip_static "
            f"({_ratio(_rps(t, 'microcache'), _rps(t, 'nginx-static')):.0%} of plain "
            "static)",
            "pass": ratio >= 0.50,
        }
    )

    ratio = _ratio(_rps(t, "uncached-sqlite"), _rps(t, "stock"))
    cpu = results["cold"]["cpu_ms"]
    out.append(
        {
            "goal": "3. Page cache off",
            "target": "≥ 10× stock xtd templates; cold render ≤ 8 ms CPU",
            "measured": f"{ratio:.1f}× stock; cold render {cpu:.1f} ms CPU",
            "pass": ratio >= 10 and cpu <= 8,
        }
    )

    rows = growth_rows(results["growth"])
    grown = [row for row in rows if not row["flat"]]
    worst = ", ".join(
        f"{row['page']} ({row['database']}: {row['queries'][0]}→{row['queries'][1]} queries, "
        f"{row['cpu_ms'][0]:.1f}→{row['cpu_ms'][1]:.1f} ms)"
        for row in grown
    )
    out.append(
        {
            "goal": "4. Constant cost in data size",
            "target": "queries and uncached "
            f"time flat (≤ {GROWTH_TOLERANCE}× + {GROWTH_SLACK_MS:.0f} ms)",
            "measured": f"{len(rows) - len(grown)} of {len(rows)} pages flat"
            + (f"; grows: {worst}" if grown else ""),
            "pass": not grown,
        }
    )

    sizes = results["bytes"]
    html_targets = [
        x
        for x in results["targets"]
        if x["key"] not in ("noop", "nginx-static", "nginx-gzip-static") and x["group"] != "floor"
    ]
    uncompressed = [x["label"] for x in html_targets if x["encoding"] != "gzip"]
    visit = sizes["first_visit"]["total"]
    out.append(
        {
            "goal": "5. Bytes",
            "target": "post ≤ 8 KB gzipped; first visit ≤ 25 KB; all compressed",
            "measured": f"post {sizes['post_gzip'] / KB:.1f} KB, first "
            f"visit {visit / KB:.1f} KB, uncompressed answers: "
            f"{', '.join(uncompressed) or 'none'}",
            "pass": sizes["post_gzip"] <= 8 * KB and visit <= 25 * KB and not uncompressed,
        }
    )

    memory = results["memory"]
    ours = {name: m for name, m in memory.items() if name not in BASELINE_SERVERS}
    largest = max((max(m["rss_mb"], default=0) for m in ours.values()), default=0)
    restarts = sum(m["restarted"] for m in ours.values())
    heaviest = max(ours, key=lambda name: max(ours[name]["rss_mb"], default=0), default="")
    detail = f"largest worker {largest:.1f} MB ({heaviest}), {restarts} worker restarts"
    floors = [
        f"{max(memory[name]['rss_mb']):.1f} MB on {stack}"
        for name, stack in FLOOR_SERVERS.items()
        if memory.get(name, {}).get("rss_mb")
    ]
    if floors:
        detail += f"; the smallest Django site: {', '.join(floors)} (not judged)"
    if memory.get(STOCK_SERVER, {}).get("rss_mb"):
        detail += f"; stock baseline {max(memory[STOCK_SERVER]['rss_mb']):.1f} MB (not judged)"
    out.append(
        {
            "goal": "6. Memory",
            "target": "worker ≤ 60 MB RSS after the run (our servers); no recycling",
            "measured": detail,
            "pass": largest <= 60 and restarts == 0 and largest > 0,
        }
    )
    return out


def _note(median: dict) -> str:
    if not median["rps"]:
        return " (no answer within the run)"
    return f" ({median['errors']:.0f} errors)" if median["errors"] else ""


def markdown(results: dict) -> str:
    s = results["settings"]
    before, after = results["load_before"], results["load_after"]
    lines = [
        f"# Serving benchmark ({results['when']})",
        "",
        f"{results['machine']}; wrk {s['wrk']}, {s['seconds']} s per headline target and "
        f"{s['page_seconds']} s per other page, {s['rounds']} interleaved rounds, medians; "
        f"`Accept-Encoding: gzip` on every request. Load average before "
        f"{before[0]:.2f} / {before[1]:.2f} / {before[2]:.2f}, after "
        f"{after[0]:.2f} / {after[1]:.2f} / {after[2]:.2f} (1 / 5 / 15 min). "
        f"PostgreSQL + Redis: {results['postgres']}.",
        "",
        "## Goals (issue 12)",
        "",
        "| goal | target | measured | result |",
        "| --- | --- | --- | --- |",
    ]
    for goal in results["goals"]:
        verdict = "PASS" if goal["pass"] else "FAIL"
        lines.append(f"| {goal['goal']} | {goal['target']} | {goal['measured']} | {verdict} |")
    targets = results["targets"]
    reference = next((x["median"]["rps"] for x in targets if x["key"] == "nginx-gzip-static"), 0)
    lines += [
        "",
        "## Post page with 100 comments, side by side",
        "",
        "| target | req/s | p50 ms | p99 ms | body bytes | × below nginx gzip_static |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for x in (x for x in targets if x["group"] == "post"):
        m = x["median"]
        below = f"{reference / m['rps']:.1f}" if m["rps"] else "-"
        errors = _note(m)
        lines.append(
            f"| {x['label']}{errors} | {m['rps']:,.0f} | {m['p50_ms']:.1f} | "
            f"{m['p99_ms']:.1f} | {x['bytes']:,} {x['encoding']} | {below} |"
        )
    lines += [
        "",
        "## Other pages (large data set)",
        "",
        "| page | req/s | p50 ms | p99 ms | body bytes |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for x in (x for x in targets if x["group"] == "pages"):
        m = x["median"]
        errors = _note(m)
        lines.append(
            f"| {x['label']}{errors} | {m['rps']:,.0f} | {m['p50_ms']:.1f} | "
            f"{m['p99_ms']:.1f} | {x['bytes']:,} {x['encoding']} |"
        )
    floor = [x for x in targets if x["group"] == "floor"]
    if floor:
        lines += [
            "",
            "## The stack's floor: Django with two contrib apps, one query and one cache read",
            "",
            "| server | req/s | p50 ms | p99 ms | body bytes |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
    for x in floor:
        m = x["median"]
        lines.append(
            f"| {x['label']}{_note(m)} | {m['rps']:,.0f} | {m['p50_ms']:.1f} | "
            f"{m['p99_ms']:.1f} | {x['bytes']:,} {x['encoding']} |"
        )
    lines += [
        "",
        "## Growth: page cache off, in-process (20 posts → 1,020; 10 comments → "
        "10,000 on the post)",
        "",
        "| database | page | queries small → large | CPU ms small → large | flat |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for row in growth_rows(results["growth"]):
        lines.append(
            f"| {row['database']} | {row['page']} | {row['queries'][0]} → "
            f"{row['queries'][1]} | {row['cpu_ms'][0]:.1f} → {row['cpu_ms'][1]:.1f} | "
            f"{'yes' if row['flat'] else 'NO'} |"
        )
    cold, sizes = results["cold"], results["bytes"]
    assets = ", ".join(
        f"{path.rsplit('/', 1)[-1]} {size:,}"
        for path, size in sizes["first_visit"]["assets"].items()
    )
    lines += [
        "",
        f"Cold render of the 100-comment post (every cache empty, CPU; median of {cold['runs']} "
        f"renders in each round, median of the rounds): {cold['cpu_ms']:.1f} ms (rounds: "
        f"{', '.join(f'{ms:.1f}' for ms in cold['rounds'])}).",
        f"Bytes: post page {sizes['post_plain']:,} plain, {sizes['post_gzip']:,} gzipped; first "
        f"visit {sizes['first_visit']['total']:,} compressed (HTML {sizes['first_visit']['html']:,}"
        f"; {assets or 'no CSS or JS'}).",
        "Memory after the run (worker RSS, MB): "
        + "; ".join(
            f"{name}{' (not judged)' if name in BASELINE_SERVERS else ''}: "
            f"{', '.join(f'{mb:.0f}' for mb in m['rss_mb'])} ({m['restarted']} restarted)"
            for name, m in results["memory"].items()
        )
        + ".",
        "",
    ]
    return "\n".join(lines)
