"""Characters no reader typed on purpose, removed from what visitors send us.

Control characters (NUL among them: PostgreSQL refuses it in any text) and the invisible
formatting characters used to disguise text: bidirectional overrides and isolates, which can
make a name or comment read backwards ("Trojan Source", CVE-2021-42574), and zero-width
characters. Newlines and tabs stay; so do the zero-width joiner and the tag characters that
emoji sequences (family emoji, the flags of Scotland or Wales) are made of.
"""

import unicodedata

_KEEP = frozenset("\n\t\u200d") | frozenset(chr(code) for code in range(0xE0020, 0xE0080))


def strip_invisible(text: str) -> str:
    """`text` without control and invisible formatting characters (see the module docstring)."""
    if text.isprintable():
        return text
    return "".join(
        char for char in text if char in _KEEP or unicodedata.category(char) not in {"Cc", "Cf"}
    )
