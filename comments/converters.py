"""A URL converter for database ids: digits that fit the id columns, else no match (404).

`<int:...>` accepts any number of digits; looking up a comment by a 20-digit id overflows
the database's integer (a 500 on SQLite and PostgreSQL) where Django's own overflow guard
does not apply (the comment's primary key is a one-to-one link to xtd's comment).
"""

MAX_ID = 2**31 - 1  # the smallest id column in the chain (django_comments' serial)


class IdConverter:
    regex = "[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("Not an id.")
        return number

    def to_url(self, value) -> str:
        return str(value)
