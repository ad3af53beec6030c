"""Django's template engine, importing a tag library only when a template first loads it.

Django imports every `templatetags` module of every installed app when the engine starts, to
offer them to `{% load %}`. Ours use a handful; the others cost a worker memory for nothing:
django-comments-xtd's `comments_xtd` library imports its REST API, and with it Django REST
framework, requests, PyYAML, Pygments, docutils and psycopg (issue 12, goal 6). This backend
finds the same modules without importing them, and imports a library on the first
`{% load %}` that names it. `manage.py check` still inspects them all, as Django does.
"""

import pkgutil
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.template.backends.django import DjangoTemplates
from django.template.engine import Engine


def template_tag_candidates() -> dict[str, list[str]]:
    """Each `{% load %}` name with the modules that may provide it, in the order Django looks
    at them (Django's own, then each installed app's), without importing the modules."""
    candidates: dict[str, list[str]] = {}
    packages = ["django.templatetags"]
    packages += [f"{config.name}.templatetags" for config in apps.get_app_configs()]
    for package_name in packages:
        try:
            package = import_module(package_name)
        except ImportError:
            continue
        for module in pkgutil.walk_packages(getattr(package, "__path__", []), f"{package_name}."):
            name = module.name.removeprefix(f"{package_name}.")
            candidates.setdefault(name, []).append(module.name)
    return candidates


class LazyLibraries(dict):
    """Tag libraries by `{% load %}` name, each imported on first use.

    As in Django, the last module of a name that is a library (has `register`) wins; a module
    without one (a helper beside the libraries) is not a library.
    """

    def __init__(self, candidates: dict[str, list[str]]):
        super().__init__()
        self.candidates = candidates

    def __missing__(self, name: str):
        for path in reversed(self.candidates.get(name, [])):
            module = import_module(path)
            if hasattr(module, "register"):
                library = self[name] = module.register
                return library
        raise KeyError(name)

    def __contains__(self, name) -> bool:
        try:
            self[name]
        except KeyError:
            return False
        return True

    def __iter__(self):
        return iter(self.candidates)

    def __len__(self) -> int:
        return len(self.candidates)

    def keys(self):
        return self.candidates.keys()


class LazyLibraryEngine(Engine):
    def get_template_libraries(self, libraries: dict[str, str]) -> LazyLibraries:
        """The installed libraries, found lazily, then those named in OPTIONS["libraries"]."""
        candidates = template_tag_candidates()
        for name, path in libraries.items():
            candidates[name] = [path]
        return LazyLibraries(candidates)


class LazyLibraryTemplates(DjangoTemplates):
    """`DjangoTemplates` on `LazyLibraryEngine`, with the same OPTIONS.

    `Engine.libraries` holds only the libraries OPTIONS names, as Django's check of duplicate
    library names expects (it finds the installed ones itself).
    """

    def __init__(self, params):
        params = params.copy()
        options = params.pop("OPTIONS").copy()
        options.setdefault("autoescape", True)
        options.setdefault("debug", settings.DEBUG)
        options.setdefault("file_charset", "utf-8")
        options.setdefault("libraries", {})
        super(DjangoTemplates, self).__init__(params)
        self.engine = LazyLibraryEngine(self.dirs, self.app_dirs, **options)
