"""What a mail server's refusal means, and how long to wait before trying again.

Shared by the outbox (one message at a time) and the newsletter's delivery engine (batches),
so both read an SMTP answer the same way. RFC 5321 §4.2.1: a 5xx reply is permanent, a 4xx
reply (or a dropped connection) is worth retrying later.
"""

import datetime
import enum

# What a transport raises when a message could not be handed over: smtplib's SMTPException
# is an OSError, so smtplib itself is imported only where an error is read (classify), not by
# every web worker that imports the outbox.
SEND_ERRORS = (OSError,)


class Refusal(enum.StrEnum):
    PERMANENT = "permanent"  # this recipient, never
    RECIPIENT = "recipient"  # this recipient, later
    SERVER = "server"  # the server, for every message: stop and retry later


def classify(error: Exception) -> Refusal:
    """Which kind of refusal `error` is (an address the mail library cannot encode is permanent)."""
    import smtplib

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return (
            Refusal.PERMANENT
            if codes and all(code >= 500 for code in codes)
            else (Refusal.RECIPIENT)
        )
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500:
        return Refusal.PERMANENT
    if isinstance(error, ValueError):
        return Refusal.PERMANENT
    return Refusal.SERVER


def backoff(attempts: int, *, base: float, cap: float) -> datetime.timedelta:
    """Exponential backoff after `attempts` failures: base, 2×base, 4×base… at most `cap`."""
    seconds = base * 2 ** max(0, attempts - 1)
    return datetime.timedelta(seconds=min(seconds, cap))


def describe(error: Exception) -> str:
    """One line for an admin page: the exception's kind and message."""
    return f"{type(error).__name__}: {error}"[:500]
