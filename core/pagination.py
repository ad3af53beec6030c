"""Pagination of public listings without counting every row on every visit."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from core.pagecache import remember_until_change


class RememberedCountPaginator(Paginator):
    """A paginator whose total ("Page 2 of 1,001") is counted once per change of public content.

    The total is a COUNT over every matching row, the one part of a listing page whose cost
    grows with the site; `remember_until_change` keeps it under `count_key` until something
    public changes. The key names the listing (`blog:tag:7`), so give each listing its own.
    """

    def __init__(self, *args, count_key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        return remember_until_change(
            f"count:v1:{self.count_key}", lambda: Paginator.count.func(self)
        )
