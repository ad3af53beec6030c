import logging

import pytest
from django.core import mail

from config.settings import base
from core.logging import ThrottledAdminEmailHandler


@pytest.fixture
def request_logger(settings):
    """A logger wired as production wires django.request (test settings log nowhere)."""
    settings.ADMINS = ["author@example.org"]
    logger = logging.getLogger("tests.request")
    handler = ThrottledAdminEmailHandler()
    logger.addHandler(handler)
    logger.propagate = False
    yield logger
    logger.removeHandler(handler)


def fail(logger, where: str):
    try:
        raise ValueError(f"broken at {where}")
    except ValueError:
        logger.exception("Internal Server Error: /%s/", where)


def test_the_same_error_mails_the_admins_once_per_interval(request_logger):
    for _ in range(5):
        fail(request_logger, "same-place")
    assert len(mail.outbox) == 1
    assert "ValueError" in mail.outbox[0].body


def test_a_different_error_still_mails(request_logger):
    fail(request_logger, "same-place")
    try:
        raise KeyError("other")
    except KeyError:
        request_logger.exception("Internal Server Error: /other/")
    assert len(mail.outbox) == 2


def test_the_throttle_holds_when_the_cache_is_down(request_logger, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr("core.logging.cache.add", unreachable)
    for _ in range(3):
        fail(request_logger, "during-outage")
    assert len(mail.outbox) == 1


def test_production_sends_request_errors_through_the_throttled_handler():
    handler = base.LOGGING["handlers"]["mail_admins"]
    assert handler["class"] == "core.logging.ThrottledAdminEmailHandler"
    assert "mail_admins" in base.LOGGING["loggers"]["django.request"]["handlers"]
