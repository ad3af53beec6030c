import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty page cache, so no response leaks between tests."""
    cache.clear()
    yield
    cache.clear()
