"""The rows of a backup: Django's JSON Lines, with times kept to the microsecond.

Django's JSON encoder writes times as ECMA-262 does, to the millisecond, so a row dumped and
loaded back with the stock `jsonl` format changes: a post's `updated_at` (its feeds' <updated>,
its JSON-LD dateModified, its ETag) and the order of rows saved in the same millisecond. The
restore drill found it (tests/core/test_restore_drill.py). This format is registered under
its own name by core.backups only; `dumpdata` and `loaddata` keep Django's behaviour elsewhere.
"""

import datetime

from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder

NAME = "backupjsonl"


class ExactTimeEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class Serializer(jsonl.Serializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = ExactTimeEncoder


Deserializer = jsonl.Deserializer
