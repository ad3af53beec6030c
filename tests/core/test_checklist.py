import pytest

from core import checklist


@pytest.fixture
def items(monkeypatch):
    """An empty checklist for the test; the apps' own items come back afterwards."""
    monkeypatch.setattr(checklist, "_items", {})
    return checklist


def test_the_checklist_lists_items_in_registration_order_with_their_state(items):
    items.register("a", label="A", explanation="", is_done=lambda: True, fix_url=lambda: "/a")
    items.register("b", label="B", explanation="", is_done=lambda: False, fix_url=lambda: "/b")
    assert [(s.label, s.done, s.url) for s in items.statuses()] == [
        ("A", True, "/a"),
        ("B", False, "/b"),
    ]


def test_only_items_needed_before_sending_block_an_edition(items):
    items.register("name", label="Name", explanation="", is_done=lambda: False, fix_url=str)
    items.register(
        "sender",
        label="Sender",
        explanation="",
        is_done=lambda: False,
        fix_url=str,
        needed_before_sending=True,
    )
    items.register(
        "postal",
        label="Postal",
        explanation="",
        is_done=lambda: True,
        fix_url=str,
        needed_before_sending=True,
    )
    assert [item.key for item in items.missing()] == ["name", "sender"]
    assert [item.key for item in items.missing(before_sending=True)] == ["sender"]
