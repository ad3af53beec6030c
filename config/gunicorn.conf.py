"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Synchronous workers behind a reverse proxy (or alone on loopback for `make run`). Every value
can be changed through the environment without editing this file.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
keepalive = 5
# No recycling by default: a worker restarting in the middle of a spike is what pushed p99 from
# 17 ms to over 300 ms when a post was shared (every ~2,000 requests, 45-60 restarts a run).
# Should a slow leak ever need it, GUNICORN_MAX_REQUESTS sets a threshold and the jitter (a
# quarter of it) keeps the workers from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 4
# Set GUNICORN_ACCESS_LOG to empty to turn the access log off. Static files and the favicon
# are left out of it unless GUNICORN_LOG_STATIC=1 (config/gunicorn_logging.py).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
logger_class = "config.gunicorn_logging.QuietAssetsLogger"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Workers import the app themselves, so `kill -HUP` reloads new code (see gunicorn signals).
preload_app = False


def worker_exit(server, worker):
    """A stopping worker writes the page views it counted since its last flush."""
    from core import pageviews

    pageviews.flush_at_exit()
