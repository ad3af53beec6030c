"""A reader as the site sees one: HTTP from an address of their own, forms, and a mailbox.

Every loopback address (127.0.0.0/8) reaches the servers here, so each `Reader` connects from
an address of its own (`127.A.B.C`, its /24 its "home network"): the rate limits, which count
per network, see different people, as they would in production. Requests go to nginx or
straight to one node; either way the site reads the client address it trusts (nginx's
X-Forwarded-For, or the connection's own).
"""

import email
import email.policy
import http.client
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str

    def json(self) -> dict:
        import json

        return json.loads(self.body)


class Reader:
    def __init__(self, base: str, *, address: str = "127.0.0.1", site_url: str | None = None):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.address = address
        # The Origin a browser on one of the site's pages sends (core.origin).
        self.origin = site_url or base
        self.cookies: dict[str, str] = {}

    def at(self, base: str) -> "Reader":
        """The same reader (address, cookies) talking to another server."""
        other = Reader(base, address=self.address, site_url=self.origin)
        other.cookies = self.cookies
        return other

    def request(
        self,
        method: str,
        path: str,
        *,
        data: dict | None = None,
        headers: dict | None = None,
        timeout: float = 30,
    ) -> Answer:
        if path.startswith("http"):
            parts = urllib.parse.urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        sent = {"Accept-Encoding": "identity", "User-Agent": "prodcheck-reader/1"}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if method == "POST":
            sent["Origin"] = self.origin
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent |= headers or {}
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=timeout, source_address=(self.address, 0)
        )
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Answer(response.status, response.headers, text)

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> Answer:
        return self.request("POST", path, data=data, **kwargs)


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.current = {
                "action": attributes.get("action") or "",
                "method": (attributes.get("method") or "get").lower(),
                "fields": {},
            }
            self.forms.append(self.current)
        elif self.current is not None and tag in {"input", "textarea", "select"}:
            name = attributes.get("name")
            if name and attributes.get("type") not in {"checkbox", "radio", "submit"}:
                self.current["fields"][name] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def form(html: str, action_contains: str) -> dict:
    """The first form whose action contains `action_contains`: action, method, fields."""
    parser = _Forms()
    parser.feed(html)
    for found in parser.forms:
        if action_contains in found["action"]:
            return found
    raise LookupError(f"no form posting to …{action_contains}… on the page")


class Mailbox:
    """The messages the SMTP sink kept (tests/prodcheck/sink.py), read as a mail client would."""

    def __init__(self, folder: Path):
        self.folder = folder / "mail"
        self.seen: dict[Path, email.message.EmailMessage] = {}
        self.lock = threading.Lock()

    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            return self._read()

    def _read(self) -> list[email.message.EmailMessage]:
        if self.folder.exists():
            for path in sorted(self.folder.glob("*.eml")):
                if path not in self.seen:
                    self.seen[path] = email.message_from_bytes(
                        path.read_bytes(), policy=email.policy.default
                    )
        return list(self.seen.values())

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if address in (m["To"] or "")]

    def wait_for(self, address: str, *, timeout: float) -> email.message.EmailMessage:
        deadline = time.monotonic() + timeout
        while True:
            found = self.to(address)
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no email to {address} within {timeout:.0f} s")
            time.sleep(0.2)


def link_in(message: email.message.EmailMessage, path_part: str) -> str:
    """The first link in the plain-text part whose path contains `path_part`."""
    body = message.get_body(("plain",)).get_content()
    match = re.search(rf"https?://\S*{re.escape(path_part)}\S*", body)
    if not match:
        raise LookupError(f"no …{path_part}… link in the email to {message['To']}")
    return match.group(0)
