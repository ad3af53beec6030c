import time

import pytest

from core.stamps import FormStamps, Refusal

STAMPS = FormStamps("tests.form")


def test_a_stamp_works_once():
    token = STAMPS.make(p=7)
    assert STAMPS.refusal(token, max_age=60, p=7) is None
    assert STAMPS.claim(token, max_age=60)
    assert not STAMPS.claim(token, max_age=60)
    assert STAMPS.refusal(token, max_age=60, p=7) is Refusal.USED


def test_a_stamp_is_bound_to_its_fields_and_its_form():
    token = STAMPS.make(p=7)
    assert STAMPS.refusal(token, max_age=60, p=8) is Refusal.INVALID
    assert FormStamps("tests.other-form").refusal(token, max_age=60) is Refusal.INVALID


@pytest.mark.parametrize(
    ("age", "refusal"), [(0, Refusal.TOO_QUICK), (30, None), (120, Refusal.EXPIRED)]
)
def test_a_stamp_must_be_old_enough_and_young_enough(monkeypatch, age, refusal):
    token = STAMPS.make()
    made = time.time()
    monkeypatch.setattr("time.time", lambda: made + age)
    assert STAMPS.refusal(token, max_age=60, min_age=3) is refusal


def test_an_empty_or_crafted_stamp_is_refused():
    assert STAMPS.refusal("", max_age=60) is Refusal.MISSING
    assert STAMPS.refusal("not-a-stamp", max_age=60) is Refusal.INVALID
