"""A real SMTP server on 127.0.0.1 for tests: messages are parsed as a mail client would.

`raw` keeps each message's DATA bytes exactly as the server received them, for tests of what
the parsed view hides (an encoded header line, say).
"""

import email
import email.policy
import socket

from aiosmtpd.controller import Controller


class _Collector:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content or envelope.content)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPSink:
    """Start, stop and restart an aiosmtpd server on a fixed local port."""

    def __init__(self, handler=None, *, port: int | None = None):
        self.port = port or free_port()
        self.collector = handler or _Collector()
        self.controller = None

    @property
    def messages(self):
        return self.collector.messages

    @property
    def raw(self) -> list[bytes]:
        return self.collector.raw

    def start(self):
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def mailer(self) -> dict:
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5},
        }
