import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "config" / "gunicorn.conf.py"


def load(monkeypatch, **environ) -> dict:
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_workers_are_not_recycled_by_default(monkeypatch):
    """A restart in the middle of a spike cost p99 300 ms+; gunicorn's 0 means never."""
    config = load(monkeypatch)
    assert config["max_requests"] == 0
    assert config["max_requests_jitter"] == 0


def test_recycling_when_asked_for_is_spread_by_jitter(monkeypatch):
    config = load(monkeypatch, GUNICORN_MAX_REQUESTS="100000")
    assert config["max_requests"] == 100_000
    assert config["max_requests_jitter"] == 25_000
