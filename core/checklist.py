"""What the site still needs before it is ready: the first-run checklist on the admin index.

Each app registers its own items in `AppConfig.ready()`, core knows none of them:

    checklist.register(
        "sender-address",
        label="Sender address",
        explanation="Newsletters and replies come from this address.",
        is_done=identity_has_sender,
        fix_url=lambda: reverse("admin:core_siteidentity_change", args=[1]),
        needed_before_sending=True,
    )

Items marked `needed_before_sending` also stop an edition from going to real subscribers
(`missing(before_sending=True)`), so a writer cannot send from `noreply@localhost` or without
the postal address the law asks of a bulk sender (CAN-SPAM, 15 U.S.C. 7704(a)(5)).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    explanation: str
    is_done: Callable[[], bool]
    fix_url: Callable[[], str]
    needed_before_sending: bool = False


@dataclass(frozen=True)
class Status:
    item: Item
    done: bool

    @property
    def label(self) -> str:
        return self.item.label

    @property
    def explanation(self) -> str:
        return self.item.explanation

    @property
    def url(self) -> str:
        return self.item.fix_url()


_items: dict[str, Item] = {}


def register(
    key: str,
    *,
    label: str,
    explanation: str,
    is_done: Callable[[], bool],
    fix_url: Callable[[], str],
    needed_before_sending: bool = False,
) -> None:
    """Add an item to the checklist; registering a key again replaces the item."""
    _items[key] = Item(
        key=key,
        label=label,
        explanation=explanation,
        is_done=is_done,
        fix_url=fix_url,
        needed_before_sending=needed_before_sending,
    )


def statuses() -> list[Status]:
    """Every item in registration order, with whether it is done now."""
    return [Status(item=item, done=bool(item.is_done())) for item in _items.values()]


def missing(*, before_sending: bool = False) -> list[Item]:
    """The items not done yet; with `before_sending`, only those that block an edition."""
    return [
        item
        for item in _items.values()
        if (item.needed_before_sending or not before_sending) and not item.is_done()
    ]
