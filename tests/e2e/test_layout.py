"""Home and post pages in Chromium at 1280 and 390 px: the layout a reader actually gets.

The home page uses the width on a desktop and is one column on a phone; the phone header is one
line plus the nav; the post page ends article, sources, one newsletter invitation, the
discussion (thread, then the form), related reading; the text is set in the self-hosted serif.
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from blog.models import Post, Tag
from tests.comments.support import add_comment
from tests.e2e.conftest import check_page
from tests.factories import PostFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP, PHONE = 1280, 390
SHOTS = Path(os.environ.get("LAYOUT_SHOTS", Path(__file__).resolve().parents[2] / "var" / "shots"))


def shoot(page, name: str):
    """Screenshots at 1280 and 390 px, light and dark, for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in ((DESKTOP, 900), (PHONE, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=SHOTS / f"{name}-{width}-{scheme}.png")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": DESKTOP, "height": 900})


def boxes(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(
        selector,
        "els => els.map(el => { const r = el.getBoundingClientRect();"
        " return {x: r.x, y: r.y + scrollY, width: r.width, height: r.height}; })",
    )


@pytest.fixture
def demo_site():
    call_command("load_demo_content", stdout=StringIO())
    return Post.objects.published()


@pytest.fixture
def discussed_post():
    """A post with sources, a thread of comments and related reading."""
    transport = Tag.objects.create(name="Transport", slug="transport")
    post = PostFactory(
        title="Ferries before flyovers",
        standfirst="The harbour is the city’s cheapest road — and it is already built.",
        body="\n\n".join(
            ["The council’s plan spends a decade on concrete — and the water is right there."] * 12
        ),
    )
    post.tags.add(transport)
    post.sources.create(publisher="City Council", title="Budget 2027", url="https://example.org/b")
    for other in PostFactory.create_batch(2):
        other.tags.add(transport)
    first = add_comment(post, text="Boats are cheaper than bridges.", user_name="Ben Public")
    add_comment(post, text="Only with more crews.", user_name="Ada Reader", parent=first)
    return post


def test_home_uses_the_width_on_a_desktop_and_one_column_on_a_phone(page, demo_site):
    response = page.goto("/")
    check_page(page, response)
    lead = boxes(page, ".lead .post-card")
    cards = boxes(page, ".post-grid > .post-card")
    assert len(lead) == 1 and len(cards) >= 2
    assert lead[0]["width"] > 1000, "the lead story spans the page"
    # Two columns: the first two cards sit side by side.
    assert cards[0]["y"] == cards[1]["y"] and cards[1]["x"] > cards[0]["x"] + 300
    shoot(page, "home")

    page.set_viewport_size({"width": PHONE, "height": 844})
    cards = boxes(page, ".post-grid > .post-card")
    assert len({round(card["x"]) for card in cards}) == 1, "one column on a phone"
    assert cards[1]["y"] > cards[0]["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


def test_the_phone_header_is_one_line_plus_the_nav(page, demo_site):
    page.set_viewport_size({"width": PHONE, "height": 844})
    page.goto("/")
    name = page.locator(".site-header__name")
    line_height = name.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert name.bounding_box()["height"] <= line_height * 1.2, "the site name takes one line"
    assert not page.locator(".site-header__tagline").is_visible()
    links = boxes(page, ".site-nav__link")
    assert len(links) == 5
    assert len({round(link["y"] + link["height"] / 2) for link in links}) == 1, "nav on one line"
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= line_height + links[0]["height"] + 48


def test_the_post_ends_with_one_invitation_then_the_discussion_then_related_reading(
    page, discussed_post
):
    response = page.goto(discussed_post.get_absolute_url())
    check_page(page, response)
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        order = [
            boxes(page, selector)[0]["y"]
            for selector in (
                ".article__body",
                ".sources",
                ".newsletter-cta",
                ".comment-list",
                ".comments__join",
                ".related",
                ".site-footer",
            )
        ]
        assert order == sorted(order), f"reading order at {width}px"
        assert page.locator("form[data-signup-form]").count() == 1

    # The form waits behind "Join the discussion", which opens it in place.
    form = page.locator("form[data-comment-form]")
    assert not form.is_visible()
    page.locator("summary", has_text="Join the discussion").click()
    assert form.get_by_label("Comment").is_visible()
    check_page(page, response)
    page.locator("summary", has_text="Join the discussion").click()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "post")
    page.locator("#comments").scroll_into_view_if_needed()
    shoot(page, "post-discussion")


def test_the_discussion_form_opens_without_javascript(browser, live_server, discussed_post):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto(discussed_post.get_absolute_url())
    comment = page.get_by_role("textbox", name="Comment")
    assert not comment.is_visible()
    page.locator("summary", has_text="Join the discussion").click()
    assert comment.is_visible()
    context.close()


def test_the_text_is_set_in_the_self_hosted_serif(page, discussed_post):
    fonts = []
    page.on(
        "response",
        lambda response: fonts.append(response) if response.url.endswith(".woff2") else None,
    )
    page.goto(discussed_post.get_absolute_url())
    page.evaluate("document.fonts.ready")
    page.wait_for_function("document.fonts.status === 'loaded'")
    assert page.evaluate("document.fonts.check('1em \"Source Serif 4\"')")
    assert page.evaluate("document.fonts.check('bold 1em \"Source Serif 4\"')")
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family + ' ' + f.weight)"
    )
    assert '"Source Serif 4" 400' in loaded or "Source Serif 4 400" in loaded
    family = page.locator(".article__body").evaluate("el => getComputedStyle(el).fontFamily")
    assert family.startswith('"Source Serif 4"')
    assert fonts and all(r.status == 200 and r.url.startswith(page.url[:22]) for r in fonts)
