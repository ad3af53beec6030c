"""Settings of the benchmark's uncached site: production settings plus one bench-only URL.

Selected only by the benchmark (DJANGO_SETTINGS_MODULE=tests.bench.settings); the real site
never loads it. `tests.bench.stock_urls` adds the stock-templates baseline page to our URLs.
"""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "tests.bench.stock_urls"
