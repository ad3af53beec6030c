"""Initials avatars, drawn by the stylesheet: no Gravatar, no request to another host."""

import functools
import hashlib

AVATAR_HUES = 8  # .avatar--0 … .avatar--7 in site.css


@functools.lru_cache(maxsize=4096)
def initials(name: str) -> str:
    """Up to two letters for the avatar ("Maren Adair" → "MA")."""
    words = [word for word in name.split() if word[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


@functools.lru_cache(maxsize=4096)
def avatar_hue(name: str) -> str:
    """A stable colour for a name, one of the stylesheet's palette."""
    digest = hashlib.blake2s(name.strip().lower().encode(), digest_size=2).digest()
    return str(digest[0] % AVATAR_HUES)
