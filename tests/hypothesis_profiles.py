"""Hypothesis profiles for the fuzz suite (tests/test_fuzz.py imports this module).

`default` keeps `make test` quick with 50 examples per test; `ci` (HYPOTHESIS_PROFILE=ci,
as .ci/run sets it) runs 300. Neither keeps an example database: every run starts fresh,
and a failure prints the example to reproduce it.
"""

import os

from hypothesis import HealthCheck, settings

COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}

settings.register_profile("default", max_examples=50, **COMMON)
settings.register_profile("ci", max_examples=300, **COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
