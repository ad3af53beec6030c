"""The plain-text part of an email, laid out once for every message the site sends.

`templates/emails/base.txt` passes each text part through `plain_text_part`, so no template
has to count columns:

- lines are wrapped at 78 characters (RFC 5322, section 2.1.1), keeping a list item's or an
  indented block's hanging indent;
- a link is never broken: one that does not fit on the line starts a line of its own, and a
  long one (a signed token link) always stands alone, so a mail program makes one clickable
  link of it and a reader can copy it whole;
- the signature delimiter is the standard `-- ` (dash, dash, space) line, kept as it is:
  mail programs grey out or cut what follows it when quoting. There must be exactly one.
"""

import re

WIDTH = 78
SIGNATURE = "-- "
LONG_LINK = 40  # characters: longer links always get a line of their own
_LINK = re.compile(r"^<?(?:https?://|mailto:)\S+$")
_HANGING = re.compile(r"^(\s*(?:[-*•]|\d+[.)])?\s*)")


def _is_link(word: str) -> bool:
    return bool(_LINK.match(word))


def _wrap_line(line: str) -> list[str]:
    words = line.split()
    if len(line) <= WIDTH and not any(_is_link(w) and len(w) > LONG_LINK for w in words[1:]):
        return [line]
    first_indent = _HANGING.match(line).group(1)
    indent = " " * len(first_indent)
    out: list[str] = []
    current, lead = first_indent, True
    for word in line[len(first_indent) :].split():
        long_link = _is_link(word) and len(word) > LONG_LINK
        fits = len(current) + (0 if lead else 1) + len(word) <= WIDTH
        if not lead and (long_link or not fits):
            out.append(current.rstrip())
            current, lead = indent, True
        current += word if lead else f" {word}"
        lead = False
        if long_link:
            out.append(current)
            current, lead = indent, True
    if not lead:
        out.append(current.rstrip())
    return out


def plain_text_part(text: str) -> str:
    """`text` wrapped at 78 columns, links whole, blank runs collapsed, one final newline."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.rstrip() == SIGNATURE.rstrip() and line.startswith("--"):
            lines.append(SIGNATURE)
        else:
            lines.extend(_wrap_line(line.rstrip()))
    wrapped = "\n".join(lines)
    wrapped = re.sub(r"\n{3,}", "\n\n", wrapped).strip("\n")
    return wrapped + "\n"


def signature_lines(text: str) -> int:
    """How many signature delimiter lines `text` has (a sound message has exactly one)."""
    return sum(1 for line in text.splitlines() if line == SIGNATURE)
