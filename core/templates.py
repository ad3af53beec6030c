"""Django's template engine, importing a tag library only when a template first loads it.

Django imports every `templatetags` module of every installed app when the engine starts, to
offer them to `{% load %}`. Ours use a handful; the others cost a worker memory for nothing:
django-comments-xtd's `comments_xtd` library imports its REST API, and with it Django REST
framework, requests, PyYAML, Pygments, docutils and psycopg (issue 12, goal 6). This backend
finds the same libraries under the same names, without importing them, and imports each on
the first `{% load %}` that asks for it. `manage.py check` still inspects them all.
"""

import pkgutil
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.template.backends.django import DjangoTemplates
from django.template.engine import Engine
from django.template.library import import_library


class LazyLibraries(dict):
    """Tag libraries by `{% load %}` name, imported on first use from their module paths."""

    def __init__(self, paths: dict[str, str]):
        super().__init__()
        self.paths = paths

    def __missing__(self, name: str):
        if name not in self.paths:
            raise KeyError(name)
        library = self[name] = import_library(self.paths[name])
        return library

    def __contains__(self, name) -> bool:
        return name in self.paths

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def keys(self):
        return self.paths.keys()


def template_tag_modules() -> dict[str, str]:
    """`{% load %}` name to module path, as `django.template.backends.django` finds them
    (a later app's library wins over an earlier one of the same name), without importing them."""
    modules = {}
    candidates = ["django.templatetags"]
    candidates += [f"{config.name}.templatetags" for config in apps.get_app_configs()]
    for candidate in candidates:
        try:
            package = import_module(candidate)
        except ImportError:
            continue
        if hasattr(package, "__path__"):
            for module in pkgutil.walk_packages(package.__path__, f"{candidate}."):
                modules[module.name.removeprefix(candidate).lstrip(".")] = module.name
    return modules


class LazyLibraryEngine(Engine):
    def get_template_libraries(self, libraries: dict[str, str]) -> LazyLibraries:
        return LazyLibraries(libraries)


class LazyLibraryTemplates(DjangoTemplates):
    """`DjangoTemplates` with `LazyLibraryEngine`; the same OPTIONS."""

    def __init__(self, params):
        params = params.copy()
        options = params.pop("OPTIONS").copy()
        options.setdefault("autoescape", True)
        options.setdefault("debug", settings.DEBUG)
        options.setdefault("file_charset", "utf-8")
        options["libraries"] = template_tag_modules() | options.get("libraries", {})
        super(DjangoTemplates, self).__init__(params)
        self.engine = LazyLibraryEngine(self.dirs, self.app_dirs, **options)
