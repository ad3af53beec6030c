"""Pagination of public listings without counting every row on every visit."""

from django.core.paginator import EmptyPage, Paginator
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
        self._counted_now = False

    @cached_property
    def count(self) -> int:
        return remember_until_change(
            f"count:v1:{self.count_key}", lambda: Paginator.count.func(self)
        )

    def validate_number(self, number):
        """A page past the stored total is checked against a fresh count before it is a 404:
        rows saved without `refresh_public_pages()` (a bulk import) still get their pages."""
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self._counted_now:
                raise
            self._counted_now = True
            self.__dict__["count"] = Paginator.count.func(self)
            self.__dict__.pop("num_pages", None)
            return super().validate_number(number)
