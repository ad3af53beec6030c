"""Settings of the benchmark's stock-baseline server: production settings plus its URLs.

Selected only by the benchmark's own gunicorn for the stock-templates baseline
(DJANGO_SETTINGS_MODULE=tests.bench.settings); the real site and the benchmark's servers of
our pages never load it. `tests.bench.stock_urls` adds the baseline page and xtd's URLs.
"""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "tests.bench.stock_urls"
