"""The writing desk in Chromium: type and see the preview, autosave, leave and come back to the
revision, restore an older one, drop an image, and a refused image that keeps the text."""

import base64
import re

import pytest
from PIL import Image as PILImage

from blog import revisions
from blog.models import Image, Post, PostRevision
from tests.blog.images_support import encoded
from tests.e2e.conftest import SCREENSHOTS, check_page, screenshot, sign_in_to_admin
from tests.factories import PostFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def author(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return StaffFactory(username="author")


def open_desk(page, post):
    response = page.goto(f"/admin/blog/post/{post.pk}/change/")
    page.locator(".desk[data-previewed]").wait_for(state="attached")
    return response


def frame_body(page):
    return page.frame_locator(".desk__frame").locator("[data-desk=body]")


def shoot(page, name, focus=None):
    """Screenshots for a person to look at: 1280 and 390 px wide, light and dark, scrolled to
    the `focus` selector when given."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            if focus:
                page.locator(focus).first.evaluate("(element) => element.scrollIntoView()")
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}-{scheme}.png")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


def drop_files(page, files):
    """Drop files on the body as a browser does: a `drop` event carrying a DataTransfer."""
    page.evaluate(
        """(files) => {
            const transfer = new DataTransfer();
            for (const file of files) {
                const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], file.name, { type: file.type }));
            }
            const body = document.querySelector("#id_body");
            const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
            body.dispatchEvent(new DragEvent("dragover", init));
            body.dispatchEvent(new DragEvent("drop", init));
        }""",
        [
            {"name": name, "type": kind, "data": base64.b64encode(content).decode()}
            for name, kind, content in files
        ],
    )


def test_typing_previews_autosaves_and_the_revision_is_there_after_leaving(page, author):
    post = PostFactory(author=author, title="Ferries", body="The ferry is cheap.", draft=True)
    sign_in_to_admin(page)
    check_page(page, open_desk(page, post))
    assert "The ferry is cheap." in frame_body(page).inner_text()

    body = page.locator("#id_body")
    body.fill(
        'The ferry is *cheaper* than a "lane" of motorway -- by far.\nBoats every ten minutes.'
    )
    page.frame_locator(".desk__frame").locator("[data-desk=body] em").wait_for()
    assert (
        frame_body(page)
        .inner_text()
        .startswith("The ferry is cheaper than a “lane” of motorway – by far.")
    )
    assert page.locator("[data-desk=words]").inner_text() == "15 words"
    assert page.locator("[data-desk=minutes]").inner_text() == "1 min read"

    page.locator("[data-desk=status]").filter(has_text="Autosaved at").wait_for(timeout=10_000)
    revision = PostRevision.objects.get(post=post)
    assert revision.kind == PostRevision.Kind.AUTOSAVE and "*cheaper*" in revision.body
    post.refresh_from_db()
    assert post.body == "The ferry is cheap."  # autosave never touches the post
    shoot(page, "desk-typing")

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.get_by_role("link", name="Posts").first.click()
    page.wait_for_url(re.compile(r"/admin/blog/post/$"))
    assert dialogs == ["beforeunload"]

    open_desk(page, post)
    notice = page.locator(".desk-notice")
    assert "There is an autosaved version" in notice.inner_text()
    notice.get_by_role("link", name="Compare it with the saved text").click()
    page.wait_for_url(re.compile(r"/revisions/\d+/$"))
    assert page.locator(".desk-compare__text ins").first.inner_text() == "cheap."
    assert "*cheaper*" in page.locator(".desk-compare__text del").first.inner_text()
    check_page(page, page.reload())
    shoot(page, "revision-compare")
    page.get_by_role("button", name="Restore this revision").click()
    page.wait_for_url(re.compile(r"/change/$"))
    assert "*cheaper*" in page.locator("#id_body").input_value()
    post.refresh_from_db()
    assert "*cheaper*" in post.body
    assert post.revisions.filter(kind=PostRevision.Kind.BEFORE_RESTORE).get().body == (
        "The ferry is cheap."
    )


def test_restoring_an_older_revision_from_the_list(page, author):
    post = PostFactory(author=author, title="Budget", body="Third draft.", draft=True)
    revisions.record(post, title="Budget", body="First draft.", author=author, kind="saved")
    revisions.record(post, title="Budget", body="Second draft.", author=author, kind="saved")
    PostRevision.objects.filter(body="First draft.").update(
        updated=post.updated_at.replace(year=2025), created=post.updated_at.replace(year=2025)
    )
    sign_in_to_admin(page)
    open_desk(page, post)
    rows = page.locator(".desk-revisions__table tbody tr")
    assert rows.count() == 2
    with page.expect_navigation():
        rows.last.get_by_role("button", name=re.compile("^Restore")).click()
    assert page.locator("#id_body").input_value() == "First draft."
    assert "Restored the text of" in page.locator(".messagelist").inner_text()
    assert "Third draft." in [
        revision.body for revision in post.revisions.filter(kind="before_restore")
    ]


def test_dropping_an_image_uploads_it_and_inserts_the_snippet_at_the_caret(page, author):
    post = PostFactory(author=author, body="Before.\nAfter.", draft=True)
    sign_in_to_admin(page)
    open_desk(page, post)
    body = page.locator("#id_body")
    body.evaluate("(area) => { area.focus(); area.setSelectionRange(8, 8); }")
    photo = encoded(PILImage.new("RGB", (64, 40), "seagreen"), "JPEG")
    drop_files(page, [("harbour-at-dusk.jpg", "image/jpeg", photo)])
    page.locator("[data-desk=status]").filter(has_text="Added harbour-at-dusk.jpg").wait_for()
    image = Image.objects.get(post=post)
    text = body.input_value()
    assert text == f"Before.\n![harbour at dusk]({image.file.url})After."
    selected = body.evaluate("(area) => area.value.slice(area.selectionStart, area.selectionEnd)")
    assert selected == "harbour at dusk"  # ready to be replaced by a real description
    page.frame_locator(".desk__frame").locator("[data-desk=body] img").wait_for()
    assert image.renditions  # the worker's rendition task ran (the test backend is immediate)


def test_a_refused_image_shows_why_and_keeps_the_text(page, author):
    post = PostFactory(author=author, body="My careful paragraph.", draft=True)
    sign_in_to_admin(page)
    open_desk(page, post)
    page.locator("#id_body").fill("My careful paragraph, edited.")
    drop_files(page, [("scan.png", "image/png", b"%PDF-1.4 not a picture")])
    error = page.locator("[data-desk=error]")
    error.wait_for()
    assert "scan.png was not added" in error.inner_text()
    assert "not a JPEG, PNG, WebP or GIF" in error.inner_text()
    assert page.locator("#id_body").input_value() == "My careful paragraph, edited."
    assert not Image.objects.exists()
    shoot(page, "desk-refused-image")


def test_shortcuts_mark_bold_italic_and_links(page, author):
    post = PostFactory(author=author, body="Vote now", draft=True)
    sign_in_to_admin(page)
    open_desk(page, post)
    body = page.locator("#id_body")
    body.evaluate("(area) => { area.focus(); area.setSelectionRange(5, 8); }")
    body.press("Control+b")
    assert body.input_value() == "Vote **now**"
    body.evaluate("(area) => area.setSelectionRange(0, 4)")
    body.press("Control+i")
    assert body.input_value() == "_Vote_ **now**"
    body.evaluate("(area) => area.setSelectionRange(area.value.length, area.value.length)")
    body.press("Control+k")
    assert body.input_value() == "_Vote_ **now**[link text](https://)"
    selected = body.evaluate("(area) => area.value.slice(area.selectionStart, area.selectionEnd)")
    assert selected == "https://"


def test_changing_a_published_address_asks_first(page, author):
    post = PostFactory(author=author, slug="ferries-first")
    sign_in_to_admin(page)
    open_desk(page, post)
    assert "Share before publishing" not in page.content()
    page.locator("#id_slug").fill("ferries-at-last")
    answers = iter([False, True])
    messages = []

    def answer(dialog):
        messages.append(dialog.message)
        dialog.accept() if next(answers) else dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_role("button", name="Save and continue editing").first.click()
    page.wait_for_timeout(300)
    assert Post.objects.get().slug == "ferries-first"
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue editing").first.click()
    assert Post.objects.get().slug == "ferries-at-last"
    assert "Links already sent" in messages[0] and len(messages) == 2


def test_an_image_without_alt_text_is_kept_after_the_failed_save(page, author, tmp_path):
    photo = tmp_path / "harbour.jpg"
    photo.write_bytes(encoded(PILImage.new("RGB", (64, 40), "steelblue"), "JPEG"))
    sign_in_to_admin(page)
    page.goto("/admin/blog/post/add/")
    page.get_by_label("Title:", exact=True).fill("Harbour notes")
    page.get_by_label("Body:", exact=True).fill("Text that must survive.")
    page.get_by_text("Add another Image").click()
    page.locator("#id_images-0-file").set_input_files(str(photo))
    page.get_by_role("button", name="Save and continue editing").first.click()
    page.locator(".errornote").wait_for()
    assert "Kept: harbour.jpg" in page.locator(".kept-upload").inner_text()
    assert page.get_by_label("Body:", exact=True).input_value() == "Text that must survive."
    shoot(page, "kept-upload", focus=".field-file")
    page.locator("#id_images-0-alt_text").fill("The harbour in the rain")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue editing").first.click()
    assert Image.objects.get().alt_text == "The harbour in the rain"


def test_the_desk_fits_a_phone_and_lists_revisions(page, author):
    post = PostFactory(author=author, draft=True)
    for minute in range(3):
        revisions.record(
            post,
            title=post.title,
            body=f"Version {minute}.",
            author=author,
            kind="autosave" if minute else "saved",
        )
    sign_in_to_admin(page)
    check_page(page, open_desk(page, post))
    screenshot(page, "writing-desk")
    shoot(page, "desk-revisions", focus=".desk-revisions")


def test_a_new_post_is_autosaved_before_its_first_save_and_can_be_continued(page, author):
    sign_in_to_admin(page)
    page.goto("/admin/blog/post/add/")
    page.get_by_label("Title:", exact=True).fill("Ferries before flyovers")
    page.get_by_label("Body:", exact=True).fill("The ferry costs less than a lane of motorway.")
    page.locator("[data-desk=status]").filter(has_text="Autosaved at").wait_for(timeout=10_000)
    assert PostRevision.objects.get(post=None).title == "Ferries before flyovers"

    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/admin/")
    check_page(page, page.goto("/admin/blog/post/add/"))
    page.get_by_role("link", name="Ferries before flyovers").click()
    page.wait_for_url(re.compile(r"\?revision=\d+$"))
    body = page.get_by_label("Body:", exact=True)
    assert body.input_value() == "The ferry costs less than a lane of motorway."
    assert page.get_by_label("Slug").input_value() == "ferries-before-flyovers"
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue editing").first.click()
    post = Post.objects.get()
    assert post.body == "The ferry costs less than a lane of motorway."
    assert not PostRevision.objects.filter(post=None).exists()
