"""One spelling per mailbox (issue 10, item 12): `"x"@domain` and `x@domain` are one address."""

import pytest
from django.core.exceptions import ValidationError

from core.addresses import mailbox_key, normalise_email


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ('"zoe"@example.org', "zoe@example.org"),
        ('"Zoe.Smith"@Example.ORG', "Zoe.Smith@example.org"),
        ('"z\\oe"@example.org', "zoe@example.org"),
        ('"zoe+news"@example.org', "zoe+news@example.org"),
        ("zoe@EXAMPLE.org.", "zoe@example.org"),
        ('"zoe"@Bücher.Example', "zoe@xn--bcher-kva.example"),
        ("zoe@XN--BCHER-KVA.example", "zoe@xn--bcher-kva.example"),
    ],
)
def test_spellings_of_one_mailbox_are_stored_alike(typed, stored):
    """Item 12: needless quotes, the domain's case and its Unicode form make no new address."""
    assert normalise_email(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ('"zoe smith"@example.org', '"zoe\\ smith"@example.org'),
        ('"zoe\\ smith"@example.org', '"zoe\\ smith"@example.org'),
        ('"zoe\\ sm\\ith"@Example.org', '"zoe\\ smith"@example.org'),
        ('"zoe..smith"@example.org', '"zoe..smith"@example.org'),
        ('"zoe@home"@example.org', '"zoe@home"@example.org'),
    ],
)
def test_quotes_that_are_needed_stay_in_one_canonical_form(typed, stored):
    assert normalise_email(typed) == stored


@pytest.mark.parametrize(
    "spellings",
    [
        ['"x"@example.org', "x@example.org", "X@EXAMPLE.ORG", '"\\x"@Example.Org.'],
        ["zoe@bücher.example", "ZOE@xn--bcher-kva.example"],
    ],
)
def test_every_spelling_has_one_key(spellings):
    assert len({mailbox_key(spelling) for spelling in spellings}) == 1


def test_the_key_of_an_invalid_address_is_the_address_lowercased():
    assert mailbox_key(" Not An Address ") == "not an address"


@pytest.mark.parametrize("typed", ['"zoe@example.org', "zoe@exa mple.org"])
def test_broken_quoting_is_refused(typed):
    with pytest.raises(ValidationError):
        normalise_email(typed)
