"""Plain WSGI calls into the site as gunicorn makes them: status line, header list and body
bytes are what goes on the wire (the page cache's wrapper in config/wsgi.py answers before
Django runs, so Django's test client cannot see it)."""

import io

from django.core.handlers.wsgi import WSGIHandler


class Recorder:
    """The Django application, counting how often it actually ran."""

    def __init__(self):
        self.calls = 0
        self.django = WSGIHandler()

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


def call(app, path, *, method="GET", **headers) -> dict:
    """`app`'s answer to one request: {"status", "headers", "body"}; `accept_encoding="gzip"`
    becomes the Accept-Encoding header."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    environ |= {f"HTTP_{name.upper()}": value for name, value in headers.items()}
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(response_headers)

    answer["body"] = b"".join(app(environ, start_response))
    return answer
