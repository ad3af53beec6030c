class TwoDigitMonthConverter:
    """Months in URLs as two digits (`/2026/03/…`), so addresses sort and read like dates."""

    regex = "0[1-9]|1[0-2]"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{int(value):02d}"
