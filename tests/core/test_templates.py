"""core.templates: the tag libraries Django finds, each imported on its first `{% load %}`."""

import sys
from importlib import import_module

import pytest
from django.template import TemplateSyntaxError, engines
from django.template.backends.django import get_installed_libraries

from core.templates import LazyLibraries, template_tag_candidates


def test_every_library_django_finds_loads_under_the_same_name():
    libraries = engines["django"].engine.template_libraries
    for name, path in get_installed_libraries().items():
        assert libraries[name] is import_module(path).register, name


def test_a_module_without_register_is_not_a_library():
    """django.contrib.admin's `templatetags/base.py` holds helpers, not tags."""
    assert "base" in template_tag_candidates()
    assert "base" not in engines["django"].engine.template_libraries


def test_a_library_is_imported_when_a_template_first_loads_it(monkeypatch):
    engine = engines["django"]
    libraries = engine.engine.template_libraries
    assert isinstance(libraries, LazyLibraries)
    # The library first: undoing its deletion reads the entry, which imports the module.
    monkeypatch.delitem(libraries, "humanize", raising=False)
    monkeypatch.delitem(sys.modules, "django.contrib.humanize.templatetags.humanize", raising=False)
    assert "django.contrib.humanize.templatetags.humanize" not in sys.modules
    rendered = engine.from_string("{% load humanize %}{{ 1234567|intcomma }}").render({})
    assert rendered == "1,234,567"
    assert "django.contrib.humanize.templatetags.humanize" in sys.modules


def test_loading_a_library_that_does_not_exist_still_says_which_do():
    with pytest.raises(TemplateSyntaxError, match="not a registered tag library") as error:
        engines["django"].from_string("{% load no_such_library %}")
    assert "humanize" in str(error.value)
