"""In-process figures of a benchmark site: the growth curve and the cold render.

Run inside a site's environment (production settings, its database), by tests.bench.serving:

    python -m tests.bench.inprocess growth '{"post": "/2026/11/budget-2/", ...}'
    python -m tests.bench.inprocess cold /2026/11/budget/

`growth`: every public page requested through Django's test client with the page cache
off (PAGE_CACHE_SECONDS=0 in the environment): its query count and its CPU time
(time.process_time, median of RUNS after one warm-up, the pages taking turns in ROUNDS;
SQLite's work is in-process CPU too).
`cold`: the 100-comment post with every cache empty before each request (the cache backend
cleared, content types and sites forgotten; compiled templates stay, as in a running worker):
CPU time, median of RUNS. tests.bench.serving runs it once per round. Each prints one JSON
line.
"""

import json
import os
import statistics
import sys
import time

RUNS = int(os.environ.get("BENCH_INPROCESS_RUNS", 9))
ROUNDS = 3


def _client():
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING="gzip")


def _request(client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return response


def growth(pages: dict[str, str]) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    client = _client()
    result = {}
    for label, path in pages.items():
        _request(client, path)
        reset_queries()  # each request starts a fresh log; the context must start from it too
        with CaptureQueriesContext(connection) as queries:
            _request(client, path)
        count = len(queries)  # read now: it slices the log, which the next request clears
        result[label] = {"path": path, "queries": count, "timings": []}
    # The pages take turns, a third of the runs each time, so a burst of load on this shared
    # machine lands on every page rather than on whichever was being measured.
    for _ in range(ROUNDS):
        for page in result.values():
            for _ in range(-(-RUNS // ROUNDS)):
                started = time.process_time()
                _request(client, page["path"])
                page["timings"].append((time.process_time() - started) * 1000)
    for page in result.values():
        page["cpu_ms"] = statistics.median(page.pop("timings"))
    return result


def cold(path: str) -> dict:
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sites.models import Site
    from django.core.cache import caches

    def empty_caches():
        for cache in caches.all():
            cache.clear()
        ContentType.objects.clear_cache()
        Site.objects.clear_cache()

    client = _client()
    # Rendered, not answered from a page the seeding left in the cache: this compiles the
    # templates of a render, as a worker's first request does.
    empty_caches()
    _request(client, path)
    timings = []
    size = 0
    for _ in range(RUNS):
        empty_caches()
        started = time.process_time()
        response = _request(client, path)
        timings.append((time.process_time() - started) * 1000)
        size = len(response.content)
        # A worker keeps nothing of the last response; the test client's (request, context,
        # templates) held through the next render made it a third slower.
        del response
    return {"path": path, "cpu_ms": statistics.median(timings), "runs": RUNS, "bytes": size}


def main() -> None:
    import django

    django.setup()
    what, argument = sys.argv[1], sys.argv[2]
    if what == "growth":
        result = growth(json.loads(argument))
    elif what == "cold":
        result = cold(argument)
    else:
        raise SystemExit("usage: python -m tests.bench.inprocess growth JSON | cold PATH")
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
