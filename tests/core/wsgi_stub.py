"""A stand-in WSGI app for tests/core/test_console.py: gunicorn's logging without Django."""


def application(environ, start_response):
    missing = environ["PATH_INFO"].endswith("missing.css")
    start_response("404 Not Found" if missing else "200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
