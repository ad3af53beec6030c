import pytest

from core.text import strip_invisible


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Zoë’s “quoted” reply — fine", "Zoë’s “quoted” reply — fine"),
        ("nul\x00byte", "nulbyte"),
        ("evil\u202eexe.txt", "evilexe.txt"),  # right-to-left override
        ("a\u2066b\u2069c", "abc"),  # bidi isolates
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("two\nlines\tand a tab", "two\nlines\tand a tab"),
        ("family \U0001f468\u200d\U0001f469\u200d\U0001f467", "family 👨‍👩‍👧"),
        ("\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"),
    ],
)
def test_only_control_and_invisible_formatting_characters_go(typed, kept):
    assert strip_invisible(typed) == kept
