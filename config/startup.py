import sys

from django.core.exceptions import ImproperlyConfigured


def load_settings_or_exit() -> None:
    """Import the settings, turning a configuration error into one line and exit status 2.

    A refusal to start (say, production without a real SECRET_KEY) should read as a sentence
    on the operator's terminal, not as a traceback.
    """
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 (touching a setting is what loads the module)
    except ImproperlyConfigured as err:
        sys.stderr.write(f"Refusing to start: {err}\n")
        raise SystemExit(2) from None
