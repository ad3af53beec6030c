"""Settings for `manage.py` on a developer's machine: DEBUG is on unless said otherwise.

Servers import `config.settings.base` (see wsgi.py/asgi.py), where DEBUG is off by default and
a real SECRET_KEY is required; `DEBUG=0 manage.py …` here gets the same refusal.
"""

import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: F403
