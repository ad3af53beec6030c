"""Error mail to ADMINS that cannot turn into a mail flood.

A broken page hit a thousand times would otherwise send a thousand identical emails (and a
crawler could do that on purpose). The same error (logger, exception type and the place it was
raised, or the message template) is mailed at most once per ERROR_EMAIL_INTERVAL_SECONDS,
counted in the shared cache so every worker and web node agrees.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.log import AdminEmailHandler

# Used when the shared cache is itself unreachable (the error may well be that outage).
_last_sent_here: dict[str, float] = {}


def error_signature(record) -> str:
    if record.exc_info and record.exc_info[0] is not None:
        kind = record.exc_info[0].__qualname__
        traceback = record.exc_info[2]
        while traceback is not None and traceback.tb_next is not None:
            traceback = traceback.tb_next
        where = (
            f"{traceback.tb_frame.f_code.co_filename}:{traceback.tb_lineno}" if traceback else ""
        )
    else:
        kind, where = "", str(record.msg)
    raw = f"{record.name}|{record.levelname}|{kind}|{where}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class ThrottledAdminEmailHandler(AdminEmailHandler):
    def emit(self, record):
        if self._first_in_interval(error_signature(record)):
            super().emit(record)

    @staticmethod
    def _first_in_interval(signature: str) -> bool:
        interval = settings.ERROR_EMAIL_INTERVAL_SECONDS
        try:
            return cache.add(f"error-mail:{signature}", 1, interval)
        except Exception:  # the cache is down: throttle in this process instead
            now = time.monotonic()
            if now - _last_sent_here.get(signature, -interval) < interval:
                return False
            _last_sent_here[signature] = now
            return True


class OneLinePerTask(logging.Filter):
    """Drop Django's "task started" line: the "finished" one says the same and the outcome.

    `django.tasks` logs each task twice at INFO (its task_started and task_finished receivers);
    a failure is still logged, as an ERROR with the traceback, by the finished one.
    """

    def filter(self, record):
        return record.funcName != "log_task_started"
