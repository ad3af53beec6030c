"""The newsletter's admin: one module per workflow (subscribers, editions, headlines)."""

from newsletter.admin import editions, headlines, subscribers

__all__ = ["editions", "headlines", "subscribers"]
