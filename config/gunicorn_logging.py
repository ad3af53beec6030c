"""gunicorn's logger, less the access lines of files: `logger_class` in gunicorn.conf.py.

A page view also fetches its stylesheet, scripts, fonts and icon; logged, those lines bury the
page requests (and any error) under `make run`. A successful or not-modified answer for a path
under STATIC_URL, or for /favicon.ico, is not logged unless GUNICORN_LOG_STATIC=1; a failing
one (a missing file is a bug) still is, and every page request is.
"""

import os

from gunicorn.glogging import Logger

QUIET_PREFIXES = ("/static/", "/favicon.ico")


class QuietAssetsLogger(Logger):
    def access(self, resp, req, environ, request_time):
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        quiet = os.environ.get("GUNICORN_LOG_STATIC", "") not in {"1", "true", "yes", "on"}
        if quiet and int(status) < 400 and environ.get("PATH_INFO", "").startswith(QUIET_PREFIXES):
            return
        super().access(resp, req, environ, request_time)
