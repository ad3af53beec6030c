"""The app server's ceiling: a WSGI app that does nothing but answer with fixed bytes.

Served by gunicorn with config/gunicorn.conf.py like the site
(`gunicorn -c config/gunicorn.conf.py tests.bench.noop_wsgi:application`), it answers every
request with the bytes in the files BENCH_NOOP_BODY (plain) and BENCH_NOOP_BODY.gz (what our
page cache sends to a client accepting gzip): the same sizes as the post page, no framework.
"""

import os
from pathlib import Path

_PLAIN = Path(os.environ["BENCH_NOOP_BODY"]).read_bytes()
_GZIP = Path(os.environ["BENCH_NOOP_BODY"] + ".gz").read_bytes()
_HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Vary", "Accept-Encoding")]


def application(environ, start_response):
    if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
        body, extra = _GZIP, [("Content-Encoding", "gzip")]
    else:
        body, extra = _PLAIN, []
    start_response("200 OK", [*_HEADERS, *extra, ("Content-Length", str(len(body)))])
    return [body]
