"""The writer's dashboard in Chromium: a year of seeded traffic, at 1280 and 390 px, light and
dark, axe and Nu clean, charts readable (text size, colour contrast), screenshots to look at."""

import re

import pytest

from core import pageviews
from tests.dashboard.support import seed_year
from tests.e2e.conftest import (
    AXE,
    SCREENSHOTS,
    assert_accessible,
    assert_valid_html,
    sign_in_to_admin,
)
from tests.factories import PostFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
# WCAG 2.1 SC 1.4.11: lines and bars a reader must tell apart need 3:1 against the page.
GRAPHIC_CONTRAST = 3.0
SMALLEST_READABLE_PX = 10

CONTRAST = """
(selector) => {
  const channel = (value) => {
    value /= 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (css) => {
    const [r, g, b] = css.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const figure = document.querySelector(selector).closest(".figures__figure");
  const background = luminance(getComputedStyle(figure).backgroundColor);
  return [...document.querySelectorAll(selector)].map((shape) => {
    const style = getComputedStyle(shape);
    const paint = shape.tagName === "rect" ? style.fill : style.stroke;
    const [light, dark] = [luminance(paint), background].sort((a, b) => b - a);
    return (light + 0.05) / (dark + 0.05);
  });
}
"""


def assert_accessible_within(page, selector: str):
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (selector) => await axe.run(document.querySelector(selector))", selector
    )
    assert [violation["id"] for violation in result["violations"]] == []


def check_charts_readable(page, label: str):
    """Every chart drawn, its labels at least SMALLEST_READABLE_PX tall, its series 3:1."""
    charts = page.locator(".chart__svg")
    assert charts.count() == 3
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box["width"] > 300 and box["height"] > 100, label
    tick_heights = page.eval_on_selector_all(
        ".chart__tick", "(ticks) => ticks.map((tick) => tick.getBoundingClientRect().height)"
    )
    assert min(tick_heights) >= SMALLEST_READABLE_PX, label
    for series in (1, 2, 3, 4):
        ratios = page.evaluate(CONTRAST, f".chart__svg .chart__series-{series}")
        assert min(ratios) >= GRAPHIC_CONTRAST, f"{label}: series {series} at {min(ratios):.2f}"


def test_the_dashboard_after_a_year_of_traffic(page):
    posts = seed_year(posts=8)
    StaffFactory(username="author")
    sign_in_to_admin(page)
    response = page.goto("/admin/?days=90")
    assert_valid_html(response.text())
    assert page.get_by_role("link", name="Last 90 days").get_attribute("aria-current") == "page"
    views = page.get_by_role("img", name="Views per day")
    assert "views in the last 90 days" in views.locator("desc").text_content()
    top = page.get_by_role("region", name="Most read of all time")
    assert top.get_by_role("link").first.inner_text() == posts[-1].title

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for label, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            check_charts_readable(page, f"{label} {scheme}")
            assert_accessible(page)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"the dashboard scrolls sideways at {width}px"
            page.screenshot(path=SCREENSHOTS / f"dashboard-{label}-{scheme}.png", full_page=True)

    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})
    table = page.get_by_role("region", name=re.compile("^Subscribers over time"))
    table.get_by_text("Table: subscribers over time").click()
    assert table.get_by_role("table").get_by_role("row").count() == 1 + 90
    assert_accessible(page)
    with page.expect_download() as download:
        table.get_by_role("link", name=re.compile("as CSV")).click()
    assert re.fullmatch(
        r"subscribers-90-days-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename
    )

    top.get_by_role("link", name=posts[-1].title).click()
    page.wait_for_url(re.compile(r"/admin/dashboard/post/\d+/$"))
    assert page.get_by_role("img", name="Views per day").count() == 1
    assert_accessible(page)
    assert_valid_html(page.content())
    page.locator(".figures").screenshot(path=SCREENSHOTS / "dashboard-post-desktop-light.png")

    editions = page.goto("/admin/")
    assert editions.ok
    page.get_by_role("region", name="Recent editions").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/admin/newsletter/edition/\d+/change/$"))
    compared = page.get_by_role("region", name="This edition and the ones before")
    assert compared.get_by_role("row").count() == 1 + 6
    # The edition's own form (its inline tables) is not this test's subject: axe reads the
    # figures only.
    assert_accessible_within(page, ".figures--edition")
    compared.screenshot(path=SCREENSHOTS / "dashboard-edition-desktop-light.png")


CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def test_reads_in_a_real_browser_reach_the_posts_figures(page, browser, live_server, settings):
    """Two reads by a reader (the second from the page cache), one by a headless browser as it
    announces itself, one by the signed-in writer: the post's page says 2."""
    settings.DASHBOARD_CACHE_SECONDS = 0
    post = PostFactory(title="Counted in a browser")
    StaffFactory(username="author")
    reader = browser.new_context(base_url=live_server.url, user_agent=CHROME)
    reading = reader.new_page()
    for _ in range(2):
        assert reading.goto(post.get_absolute_url()).ok
    reader.close()
    robot = browser.new_context(base_url=live_server.url)  # "HeadlessChrome" in its agent
    robot.new_page().goto(post.get_absolute_url())
    robot.close()
    sign_in_to_admin(page)
    page.goto(post.get_absolute_url())
    pageviews.flush()

    page.goto(f"/admin/dashboard/post/{post.pk}/")
    views = page.get_by_role("img", name="Views per day")
    assert views.locator("desc").text_content().startswith("2 views in the last 30 days")
    assert_accessible(page)
