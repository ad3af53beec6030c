"""SMTP servers on 127.0.0.1 that count what they accept, per recipient.

`CountingSink` is what the exactly-once tests and the benchmark read: how many copies each
address received. It can refuse chosen recipients permanently (550) or for now (451), as a
real mail server does for an unknown mailbox or greylisting.
"""

import collections
import email
import email.policy
import threading
import time

from tests.smtp import SMTPSink


class _CountingHandler:
    def __init__(self, *, keep_messages: bool):
        self.keep_messages = keep_messages
        self.lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_permanently: set[str] = set()
        self.refuse_for_now: set[str] = set()
        self.sessions = 0
        self.first_at: float | None = None
        self.last_at: float | None = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_permanently:
            return "550 5.1.1 No such mailbox"
        if address in self.refuse_for_now:
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.last_at = time.monotonic()
            self.first_at = self.first_at or self.last_at
            for address in envelope.rcpt_tos:
                self.counts[address] += 1
            if self.keep_messages:
                self.messages.append(
                    email.message_from_bytes(envelope.content, policy=email.policy.default)
                )
        return "250 Message accepted for delivery"


class CountingSink(SMTPSink):
    def __init__(self, *, keep_messages: bool = True, port: int | None = None):
        super().__init__(_CountingHandler(keep_messages=keep_messages), port=port)

    @property
    def handler(self) -> _CountingHandler:
        return self.collector

    @property
    def counts(self):
        return self.handler.counts

    @property
    def total(self) -> int:
        return sum(self.handler.counts.values())

    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"
