"""Serving benchmark: our pages next to the app server's and nginx's own limits, in one sitting.

`python -m tests.bench.serving` (`make bench` runs it with the other benchmarks):

1. Builds a throwaway site with production settings (DEBUG off, WAL-mode SQLite file,
   database cache), seeds the fixture through the real code paths (tests/bench/seed.py: an
   OpEd with 100 comments in 25 threads of depth 3, a post with 10 comments, 20 posts: as
   many as the feed lists), takes the "small" in-process growth figures, adds the large data
   set in bulk (1,000 posts, one with 10,000 comments; 50,000 comments; 20,000 subscribers)
   and takes the "large" figures; the cold-render CPU time is taken in each round (3.). When
   PostgreSQL and Redis are reachable, a second site on them gets the same (a database of
   its own, created and dropped; its own Redis DB number).
2. Serves them with gunicorn and config/gunicorn.conf.py as shipped (page cache on; a second
   gunicorn of the SQLite site with PAGE_CACHE_SECONDS=0 for "uncached"; a third, also
   uncached, for the stock-templates baseline alone, with tests.bench.settings mounting
   tests/bench/stock_urls.py, so the modules xtd's URLs import stay out of our workers'
   memory), next to a do-nothing WSGI app under the same configuration, the smallest
   Django site on each database and cache (tests/bench/smallest_site.py: the stack's memory
   floor), nginx serving a static copy of the post page (plain and `gzip_static`), and the
   shipped nginx micro-cache (deploy/nginx/site.conf) in front of the SQLite site.
3. Warms every gunicorn worker on every target, then measures every target with
   `wrk -t2 -c16` in interleaved rounds (round 1 runs every target, then round 2, ...), with
   `Accept-Encoding: gzip` as browsers send it, and reports medians. After each round, the
   cold render of the 100-comment post in-process on the SQLite site (every cache emptied,
   then the targets warmed again); its figure is the median of the rounds.
4. Prints the six goals of issue 12 with their measured ratios and PASS/FAIL, and writes
   var/bench/serving.json and var/bench/serving.md.

Environment: BENCH_SECONDS (wrk duration of the headline targets, 10), BENCH_PAGE_SECONDS
(other pages, 3), BENCH_ROUNDS (3), BENCH_SKIP_PG=1 to leave PostgreSQL out. Short runs while
developing: `BENCH_SECONDS=3 BENCH_ROUNDS=1 python -m tests.bench.serving`.
"""

import concurrent.futures
import datetime
import gzip
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path

from tests.bench import report, sites, wrk
from tests.bench.nginx import Nginx, free_port, nginx_binary, render_site

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench"
SECONDS = int(os.environ.get("BENCH_SECONDS", 10))
PAGE_SECONDS = int(os.environ.get("BENCH_PAGE_SECONDS", 3))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
GZIP = {"Accept-Encoding": "gzip"}

SEED_FIXTURE = "from tests.bench.seed import fixture; fixture()"
SEED_LARGE = "from tests.bench.seed import large; large()"


def say(text: str) -> None:
    sys.stdout.write(f"[{datetime.datetime.now():%H:%M:%S}] {text}\n")
    sys.stdout.flush()


def public_pages(paths: dict, *, post: str, post_pk: int) -> dict[str, str]:
    return {
        "home": "/",
        "tag page": f"/tag/{paths['tag']}/",
        "search": "/search/?q=budget",
        "feed": "/feed/",
        "comments feed": "/comments/feed/",
        "archive": "/archive/",
        "sitemap": "/sitemap.xml",
        "post (100 comments)": paths["oped"],
        "post (10 → 10,000 comments)": post,
        "load more (100 → 10,000 comments)": f"/comments/threads/{post_pk}/?page=2",
    }


def build(site: sites.Site, *, static_from=None) -> dict:
    """Migrate and seed `site`; returns its paths, growth curve and (SQLite) cold render."""
    say(f"{site.name}: migrate, seed the fixture")
    site.prepare(static_from=static_from)
    paths = site.shell(SEED_FIXTURE)
    small = public_pages(paths, post=paths["small"], post_pk=paths["oped_pk"])
    say(f"{site.name}: growth curve, small data set ({len(small)} pages, page cache off)")
    growth_small = site.inprocess("growth", json.dumps(small), PAGE_CACHE_SECONDS="0")
    say(f"{site.name}: seed the large data set (bulk)")
    paths |= site.shell(SEED_LARGE)
    large = public_pages(paths, post=paths["long"], post_pk=paths["long_pk"])
    say(f"{site.name}: growth curve, large data set")
    growth_large = site.inprocess("growth", json.dumps(large), PAGE_CACHE_SECONDS="0")
    growth = {
        label: {"small": growth_small[label], "large": growth_large[label]} for label in small
    }
    return {"paths": paths, "growth": growth}


def fetch(url: str, headers: dict[str, str]) -> dict:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
        return {
            "status": response.status,
            "bytes": len(body),
            "encoding": response.headers.get("Content-Encoding", ""),
            "type": response.headers.get("Content-Type", ""),
            "body": body,
        }


def first_visit(base: str, html: bytes) -> dict:
    """The post page's HTML plus every stylesheet and script it loads, as sent gzipped."""
    text = gzip.decompress(html).decode() if html[:2] == b"\x1f\x8b" else html.decode()
    assets = re.findall(r'<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"', text)
    assets += re.findall(r'<script\b[^>]*\bsrc="([^"]+)"', text)
    sizes = {asset: fetch(base + asset, GZIP)["bytes"] for asset in assets}
    return {"html": len(html), "assets": sizes, "total": len(html) + sum(sizes.values())}


def static_copy_servers(folder: Path, plain_port: int, gzip_port: int) -> list[str]:
    common = f"root {folder}; gzip off; access_log off;"
    return [
        f"server {{ listen 127.0.0.1:{plain_port}; {common} }}",
        f"server {{ listen 127.0.0.1:{gzip_port}; {common} gzip_static on; }}",
    ]


def warm_every_worker(targets: list[dict], *, copies: int) -> None:
    """Fetch each target `copies` times at once, one request per gunicorn worker.

    A worker imports its URLs and compiles its templates on its own first request; one fetch
    per target warms one worker only, so the other workers' cold starts would land in the
    first round of whichever target reaches them first (the stock baseline, on its own server,
    would pay for all of them).
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=copies) as pool:
        for target in targets:
            urls = [target["url"]] * copies
            list(pool.map(fetch, urls, [target["headers"]] * copies))


def measure(targets: list[dict], *, after_round) -> None:
    for number in range(1, ROUNDS + 1):
        say(f"round {number} of {ROUNDS} ({len(targets)} targets)")
        for target in targets:
            result = wrk.run(
                target["url"],
                seconds=target["seconds"],
                headers=target["headers"],
                folder=target["folder"],
            )
            result["load"] = os.getloadavg()[0]
            target["rounds"].append(result)
        after_round()
    for target in targets:
        runs = target["rounds"]
        target["median"] = {
            key: statistics.median(run[key] for run in runs)
            for key in ("rps", "p50_ms", "p99_ms", "max_ms", "errors")
        }


def main() -> int:
    missing = [
        name for name, found in (("wrk", wrk.wrk_binary()), ("nginx", nginx_binary())) if not found
    ]
    if missing:
        sys.exit(f"{' and '.join(missing)} not installed: `make bench` installs Debian's packages.")
    load_before = os.getloadavg()
    say(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    skip_pg = os.environ.get("BENCH_SKIP_PG") == "1"
    pg_reason = "BENCH_SKIP_PG=1" if skip_pg else sites.postgres_and_redis()
    pg_database = ""
    servers: list = []
    proxy = None
    with tempfile.TemporaryDirectory(prefix="serving-bench-") as folder:
        tmp = Path(folder)
        try:
            sqlite = sites.Site("SQLite", tmp / "sqlite")
            data = {"sqlite": build(sqlite)}
            paths = data["sqlite"]["paths"]
            pg = None
            if not pg_reason:
                pg_database = sites.create_database()
                sites.flush_redis()
                pg = sites.Site(
                    "PostgreSQL+Redis",
                    tmp / "pg",
                    database_url=f"postgres://postgres@127.0.0.1:5432/{pg_database}",
                    redis_url=sites.REDIS_URL,
                )
                data["pg"] = build(pg, static_from=sqlite)
            else:
                say(f"PostgreSQL + Redis left out: {pg_reason}")

            say("starting gunicorn (site, uncached site, stock baseline, do-nothing app), nginx")
            ours = sites.Gunicorn("SQLite", sqlite.env, "config.wsgi", free_port()).start()
            nocache = sites.Gunicorn(
                "SQLite, page cache off",
                sqlite.env,
                "config.wsgi",
                free_port(),
                PAGE_CACHE_SECONDS="0",
            ).start()
            stock = sites.Gunicorn(
                report.STOCK_SERVER,
                sqlite.env,
                "config.wsgi",
                free_port(),
                DJANGO_SETTINGS_MODULE="tests.bench.settings",
                PAGE_CACHE_SECONDS="0",
            ).start()
            servers += [ours, nocache, stock]
            ours_pg = None
            if pg is not None:
                ours_pg = sites.Gunicorn("PostgreSQL+Redis", pg.env, "config.wsgi", free_port())
                servers.append(ours_pg.start())
            for server in servers:
                server.wait_ready()
            oped = paths["oped"]
            plain = fetch(ours.base + oped, {})
            zipped = fetch(ours.base + oped, GZIP)
            copy = tmp / "static-copy"
            copy.mkdir()
            (copy / "post.html").write_bytes(plain["body"])
            (copy / "post.html.gz").write_bytes(zipped["body"])
            noop = sites.Gunicorn(
                report.NOOP_SERVER,
                sqlite.env,
                "tests.bench.noop_wsgi:application",
                free_port(),
                BENCH_NOOP_BODY=str(copy / "post.html"),
            ).start()
            servers.append(noop)
            noop.wait_ready()
            floors = [
                sites.Gunicorn(
                    name, site.env, "tests.bench.smallest_site:application", free_port()
                ).start()
                for name, site in ((report.FLOOR_SQLITE, sqlite), (report.FLOOR_PG, pg))
                if site is not None
            ]
            servers += floors
            for floor in floors:
                floor.wait_ready()
            ports = {name: free_port() for name in ("plain", "gzip", "proxy")}
            proxy = Nginx(
                tmp / "nginx",
                static_copy_servers(copy, ports["plain"], ports["gzip"])
                + [
                    render_site(
                        listen=ports["proxy"],
                        upstream=ours.port,
                        static_root=sqlite.var_dir / "static",
                        media_root=sqlite.var_dir / "media",
                        cache_dir=tmp / "nginx" / "cache",
                    )
                ],
                list(ports.values()),
            ).start()

            targets = make_targets(
                tmp, paths, ports, ours, nocache, stock, ours_pg, noop, floors, data
            )
            workers_before = {server.name: server.worker_pids() for server in servers}
            for target in targets:  # warm the caches and record what is sent
                try:
                    answer = fetch(target["url"], target["headers"])
                except OSError as error:
                    logs = "\n".join(server.log_tail() for server in servers)
                    raise RuntimeError(
                        f"{target['label']}: {target['url']}: {error}\n{logs}"
                    ) from error
                target |= {key: answer[key] for key in ("status", "bytes", "encoding", "type")}
            warm_every_worker(targets, copies=len(ours.worker_pids()))
            colds = []

            def cold_render():
                """In-process, on the SQLite site, in each round like the rest; it empties
                the site's caches, so the cached targets are warmed again afterwards."""
                say("SQLite: cold render of the 100-comment post, every cache empty")
                colds.append(sqlite.inprocess("cold", paths["oped"]))
                warm_every_worker(targets, copies=len(ours.worker_pids()))

            measure(targets, after_round=cold_render)
            cold = {
                "cpu_ms": statistics.median(run["cpu_ms"] for run in colds),
                "rounds": [run["cpu_ms"] for run in colds],
                "runs": colds[0]["runs"],
            }
            memory = {
                server.name: {
                    "rss_mb": server.worker_rss_mb(),
                    "restarted": len(set(workers_before[server.name]) - set(server.worker_pids())),
                }
                for server in servers
            }
            visit = first_visit(ours.base, zipped["body"])
        finally:
            if proxy is not None:
                proxy.stop()
            for server in servers:
                server.stop()
            if pg_database:
                sites.drop_database(pg_database)
                sites.flush_redis()
    load_after = os.getloadavg()
    say(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")

    results = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs",
        "settings": {
            "seconds": SECONDS,
            "page_seconds": PAGE_SECONDS,
            "rounds": ROUNDS,
            "wrk": "-t2 -c16",
            "workers": len(ours.worker_pids()) or None,
        },
        "load_before": load_before,
        "load_after": load_after,
        "postgres": pg_reason or "measured",
        "targets": [{k: v for k, v in t.items() if k not in ("folder",)} for t in targets],
        "growth": {name: site["growth"] for name, site in data.items()},
        "cold": cold,
        "bytes": {"post_gzip": zipped["bytes"], "post_plain": plain["bytes"], "first_visit": visit},
        "memory": memory,
    }
    results["goals"] = report.goals(results)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "serving.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    markdown = report.markdown(results)
    (OUT / "serving.md").write_text(markdown, encoding="utf-8")
    sys.stdout.write("\n" + markdown + f"\nWritten to {OUT / 'serving.md'} and serving.json\n")
    return 0 if all(goal["pass"] for goal in results["goals"]) else 1


def make_targets(
    tmp, paths, ports, ours, nocache, stock, ours_pg, noop, floors, data
) -> list[dict]:
    """Every wrk target, headline ones first, in the order each round runs them."""
    wrk_folder = tmp / "wrk"
    wrk_folder.mkdir(exist_ok=True)
    oped, nginx = paths["oped"], "http://127.0.0.1:{}"
    targets = [
        ("noop", "do-nothing WSGI app, same gunicorn config", noop.base + "/"),
        (
            "nginx-static",
            "nginx, static copy of the post page",
            nginx.format(ports["plain"]) + "/post.html",
        ),
        (
            "nginx-gzip-static",
            "nginx, the same pre-compressed (gzip_static)",
            nginx.format(ports["gzip"]) + "/post.html",
        ),
        ("cached-sqlite", "ours, page cache on (SQLite)", ours.base + oped),
    ]
    if ours_pg is not None:
        targets.append(
            (
                "cached-pg",
                "ours, page cache on (PostgreSQL + Redis)",
                ours_pg.base + data["pg"]["paths"]["oped"],
            )
        )
    targets += [
        (
            "microcache",
            "ours behind the shipped nginx micro-cache",
            nginx.format(ports["proxy"]) + oped,
        ),
        ("uncached-sqlite", "ours, page cache off (SQLite)", nocache.base + oped),
        (
            "stock",
            "Django + django-comments-xtd stock templates, same post",
            f"{stock.base}/bench-stock/{paths['oped_pk']}/",
        ),
    ]
    listed = [
        {"key": k, "label": label, "url": url, "seconds": SECONDS, "group": "post"}
        for k, label, url in targets
    ]
    pages = {
        "home": "/",
        "tag page": f"/tag/{paths['tag']}/",
        "search": "/search/?q=budget",
        "feed": "/feed/",
        "post, 10,000 comments": paths["long"],
        "load more, 10,000 comments": f"/comments/threads/{paths['long_pk']}/?page=2",
    }
    for label, path in pages.items():
        for mode, server in (("cached", ours), ("uncached", nocache)):
            listed.append(
                {
                    "key": f"{label} {mode}",
                    "label": f"{label}, {mode}",
                    "url": server.base + path,
                    "seconds": PAGE_SECONDS,
                    "group": "pages",
                }
            )
    for floor in floors:
        listed.append(
            {
                "key": f"floor {floor.name}",
                "label": floor.name,
                "url": floor.base + "/",
                "seconds": PAGE_SECONDS,
                "group": "floor",
            }
        )
    for target in listed:
        target |= {"headers": dict(GZIP), "folder": wrk_folder, "rounds": []}
    return listed


if __name__ == "__main__":
    sys.exit(main())
