"""A Markdown file's front matter, written by a tiny emitter that only ever quotes.

Every string is written double-quoted, with JSON's escapes (a JSON string is a YAML
double-quoted scalar), plus escapes for the characters YAML reads as line breaks or refuses
raw (U+0085, U+2028, U+2029, controls, the byte-order mark). So a title reading `yes`, `1e3`,
`null`, `- list` or `key: value` stays a string in any YAML reader, and nothing a writer
types can end the block or add a key. Lists are flow sequences of such strings.
"""

import datetime
import json
import unicodedata
from collections.abc import Mapping, Sequence

DELIMITER = "---"


def quote(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(
        f"\\u{ord(character):04x}"
        if unicodedata.category(character) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
        and character not in "\n\t"
        else character
        for character in quoted
    )


def scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return quote(value.isoformat())
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"No front matter spelling for {type(value).__name__}.")


def front_matter(fields: Mapping[str, object]) -> str:
    """`---`, one `key: value` line per field, `---`: keys are plain names, values quoted."""
    lines = [DELIMITER]
    for key, value in fields.items():
        if not key.replace("_", "").isalnum() or not key.isascii():
            raise ValueError(f"Not a plain key: {key!r}.")
        if isinstance(value, Sequence) and not isinstance(value, str):
            lines.append(f"{key}: [{', '.join(scalar(item) for item in value)}]")
        else:
            lines.append(f"{key}: {scalar(value)}")
    lines.append(DELIMITER)
    return "\n".join(lines) + "\n"
