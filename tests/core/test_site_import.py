"""Moving in from WordPress, Ghost and Substack (issue 14): `manage.py import_site`."""

import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command

from blog.models import AuthorProfile, Image, Post, Tag
from comments.models import Comment
from core.models import ImportedRedirect, ImportRecord, OutgoingEmail
from core.transfer import appliers, formats
from core.transfer.document import Document, UnreadableExport
from core.transfer.document import Post as DocumentPost
from newsletter.addresses import suppression_digest
from newsletter.models import Edition, Subscriber, Suppression
from tests.core.site_import_support import (
    SAMPLES,
    ghost_zip,
    png,
    substack_zip,
    wordpress_folder,
)
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def writer():
    return StaffFactory(username="writer", email="writer@dispatch.example")


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_site", *map(str, args), stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Every row an import may write, with the timestamps a second run must leave alone."""
    return {
        "posts": sorted(Post.objects.values_list("pk", "slug", "updated_at", "body_html")),
        "tags": sorted(Tag.objects.values_list("pk", "name")),
        "images": sorted(Image.objects.values_list("pk", "file")),
        "comments": sorted(Comment.objects.values_list("pk", "parent_id", "is_public")),
        "subscribers": sorted(Subscriber.objects.values_list("pk", "status", "updated_at")),
        "users": sorted(get_user_model().objects.values_list("pk", "username")),
        "records": ImportRecord.objects.count(),
        "redirects": ImportedRedirect.objects.count(),
    }


def nothing_mailed():
    assert mail.outbox == []
    assert OutgoingEmail.objects.count() == 0


# WordPress


def test_wordpress_posts_pages_tags_and_images_arrive_safe(writer, tmp_path):
    report = run("wordpress", wordpress_folder(tmp_path))

    post = Post.objects.get(title="The quay at dawn")
    assert post.is_published
    assert post.author.profile.display_name == "Marta Solé"
    assert post.standfirst == "The first boat, and a promise from the council."
    assert sorted(post.tags.values_list("name", flat=True)) == ["Council", "Harbour"]
    assert Tag.objects.get(name="Harbour").description == "Boats, quays and the people on them."
    html = post.body_html
    for hostile in ("<script", "onclick", "javascript:", "evil.example", "srcset", "<h1"):
        assert hostile not in html
    assert "<h2>What the council said</h2>" in html
    assert "“half past five” — before the gulls." in html
    # The image the export holds is ours now; the one it does not hold is a link, not an <img>.
    body_image = post.images.get(is_cover=False)
    assert f'src="{body_image.file.url}"' in html
    assert body_image.alt_text == "The quay at first light"
    assert "portvell.example/wp-content" not in html
    assert '<a href="https://cdn.elsewhere.example/photos/gulls.jpg"' in html
    assert "<img" not in html.replace(f'<img src="{body_image.file.url}"', "")
    cover = post.images.get(is_cover=True)
    assert cover.alt_text == "The quay seen from a fishing boat"
    assert cover.caption == "Photo: Marta Solé"

    draft = Post.objects.get(title="Budget notes (unfinished)")
    assert draft.status == Post.Status.DRAFT and draft.publish_at is None
    page = Post.objects.get(title="About Port Vell")
    assert page.is_published and page.comments_open is False
    assert Post.objects.count() == 3
    assert "skipped  image       gulls.jpg (not in the export" in report
    assert "1 item(s) of type 'nav_menu_item' are not posts: left out." in report


def test_wordpress_comments_keep_threads_and_moderation(writer, tmp_path):
    run("wordpress", wordpress_folder(tmp_path))

    post = Post.objects.get(title="The quay at dawn")
    comments = {c.user_name + c.comment[:10]: c for c in Comment.objects.for_object(post)}
    assert len(comments) == 4  # spam and the pingback stay out
    first = comments["Jordi PonsThey said "]
    reply = comments["Marta SoléThis time "]
    answer = comments["Jordi PonsThen I sta"]
    pending = comments["Anna VidalWaiting fo"]
    assert (first.level, reply.level, answer.level) == (0, 1, 2)
    assert reply.parent_id == first.pk and answer.parent_id == reply.pk
    assert first.is_public and reply.is_public and answer.is_public
    assert not pending.is_public
    assert first.submit_date.isoformat() == "2024-05-06T09:00:00+00:00"
    assert first.published_at == first.submit_date
    assert (
        first.comment
        == "They said that last year too.\n\nSee [the minutes](https://portvell.example/minutes)."
    )
    assert first.user_url == "https://jordi.example"


def test_wordpress_import_mails_nobody(
    writer, tmp_path, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run("wordpress", wordpress_folder(tmp_path))

    assert Comment.objects.count() == 4
    nothing_mailed()
    assert smtp_server.messages == []


def test_importing_twice_changes_nothing(writer, tmp_path):
    folder = wordpress_folder(tmp_path)
    run("wordpress", folder)
    before = snapshot()

    report = run("wordpress", folder)

    assert snapshot() == before
    assert "0 created, " in report
    assert "skipped  post        The quay at dawn (imported before)" in report


def test_dry_run_reports_and_saves_nothing(writer, tmp_path):
    before = snapshot()

    report = run("wordpress", wordpress_folder(tmp_path), "--dry-run")

    assert snapshot() == before
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.*"))
    assert "dry run: nothing was saved" in report
    assert "created  post        The quay at dawn" in report
    assert "created  comment     #103 by Jordi Pons" in report
    assert "would be created" in report


def test_old_wordpress_addresses_answer_301(writer, tmp_path, client):
    run("wordpress", wordpress_folder(tmp_path))
    post = Post.objects.get(title="The quay at dawn")
    page = Post.objects.get(title="About Port Vell")

    # WordPress's date-and-name permalink is ours too: that address simply stays.
    assert post.get_absolute_url() == "/2024/05/the-quay-at-dawn/"
    assert client.get(post.get_absolute_url()).status_code == 200
    for old, new in [
        ("/?p=10", post.get_absolute_url()),
        ("/?page_id=30", page.get_absolute_url()),
    ]:
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, new), old
    # An old address that is a page of this site ("/about/") stays this site's page.
    assert client.get("/about/").status_code == 200


def test_an_address_with_a_nul_byte_is_a_404_not_a_lookup_the_database_refuses(
    writer, tmp_path, client
):
    run("wordpress", wordpress_folder(tmp_path))
    for path in ("/media/%00", "/no-such-page/%00/", "/?p=1%00"):
        response = client.get(path)
        assert response.status_code in (200, 404), path  # "/?p=" falls back to the home page


def test_old_address_of_a_draft_leads_nowhere(writer, tmp_path, client):
    run("wordpress", wordpress_folder(tmp_path))
    post = Post.objects.get(title="The quay at dawn")
    post.status = Post.Status.DRAFT
    post.save()

    assert client.get("/?page_id=30").status_code == 301  # the page is still public
    assert client.get("/?p=20").status_code == 200  # the home page; the draft stays unknown
    assert client.get("/?p=10").status_code == 200


# Ghost


def test_ghost_posts_authors_tags_and_feature_images(writer, tmp_path, client):
    run("ghost", ghost_zip(tmp_path))

    post = Post.objects.get(title="Ferries and fares")
    assert post.is_published
    assert post.publish_at.isoformat() == "2024-05-20T09:00:00+00:00"
    assert post.standfirst == "Four euros, again."
    profile = AuthorProfile.objects.get(user=post.author)
    assert profile.display_name == "Pere Mas"
    assert profile.bio == "Writes about the island's boats."
    assert not post.author.is_active and not post.author.has_usable_password()
    assert list(post.tags.values_list("name", flat=True)) == ["Transport"]
    assert not Tag.objects.filter(name__startswith="#").exists()
    cover = post.images.get(is_cover=True)
    assert (cover.alt_text, cover.caption) == ("The ferry at the quay", "Photo: Pere")
    body_image = post.images.get(is_cover=False)
    assert body_image.alt_text == "The morning ferry"
    assert f'src="{body_image.file.url}"' in post.body_html
    assert "__GHOST_URL__" not in post.body_html
    assert Post.objects.get(title="Draft about the lighthouse").status == Post.Status.DRAFT
    response = client.get("/ferries-and-fares/")
    assert (response.status_code, response["Location"]) == (301, post.get_absolute_url())


def test_ghost_members_keep_their_status_and_are_never_mailed(
    writer, tmp_path, now, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run("ghost", SAMPLES / "ghost-members.csv")

    laia = Subscriber.objects.get(email="laia@readers.example")
    assert laia.status == Subscriber.Status.ACTIVE
    assert laia.confirmed_at.isoformat() == "2023-02-01T10:00:00+00:00"
    assert laia.signup_source.startswith(f"Imported from Ghost on {now:%Y-%m-%d}")
    assert f"Imported from Ghost on {now:%Y-%m-%d}" in laia.consent_text
    oriol = Subscriber.objects.get(email="oriol@readers.example")
    assert oriol.status == Subscriber.Status.UNSUBSCRIBED
    suppressed = Subscriber.objects.get(email="bounce@readers.example")
    assert suppressed.status == Subscriber.Status.UNSUBSCRIBED
    assert suppressed.unsubscribe_method == Subscriber.UnsubscribeMethod.ADMIN
    nothing_mailed()
    assert smtp_server.messages == []


def test_subscribers_already_here_or_erased_are_left_alone(writer, tmp_path):
    Subscriber.objects.create(
        email="oriol@readers.example", status=Subscriber.Status.PENDING, signup_source="Form"
    )
    Suppression.objects.create(digest=suppression_digest("laia@readers.example"))

    report = run("ghost", SAMPLES / "ghost-members.csv")

    assert Subscriber.objects.get(email="oriol@readers.example").status == "pending"
    assert not Subscriber.objects.filter(email="laia@readers.example").exists()
    assert "laia@readers.example (erased here on request: never re-added)" in report
    assert "oriol@readers.example (already on the list (pending confirmation)" in report


def test_a_recent_imported_post_is_not_announced(writer, django_capture_on_commit_callbacks, now):
    """Readers of the old site had it: no every-post email, now or from the safety net."""
    from newsletter import editions

    document = Document(platform="ghost")
    document.posts.append(
        DocumentPost(
            source_id="x1", title="Fresh", slug="fresh", body="<p>New.</p>", published_at=now
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        appliers.apply_document(document, dry_run=False)

    post = Post.objects.get(slug="fresh")
    assert post.is_published
    assert not editions.due_posts(now=now).filter(pk=post.pk).exists()
    assert Edition.objects.count() == 0
    nothing_mailed()


# Substack


def test_substack_posts_and_subscribers(writer, tmp_path, client):
    report = run("substack", substack_zip(tmp_path))

    post = Post.objects.get(title="Market day")
    assert post.is_published and post.standfirst == "Saturday on the square"
    assert "<em>figs</em>" in post.body_html and "mayor’s" in post.body_html
    assert "<img" not in post.body_html  # Substack's CDN is never asked for anything
    assert '<a href="https://substackcdn.com/image/fetch/w_1456/market.jpg"' in post.body_html
    assert post.author == writer
    assert Post.objects.get(title="Half written").status == Post.Status.DRAFT
    response = client.get("/p/market-day")
    assert (response.status_code, response["Location"]) == (301, post.get_absolute_url())
    statuses = dict(Subscriber.objects.values_list("email", "status"))
    assert statuses == {
        "neus@readers.example": "active",
        "pau@readers.example": "active",
        "quiet@readers.example": "unsubscribed",
    }
    assert "skipped  image       market.jpg (not in the export" in report
    nothing_mailed()


def test_every_sample_imported_twice_changes_nothing(writer, tmp_path):
    exports = [
        ("wordpress", wordpress_folder(tmp_path)),
        ("ghost", ghost_zip(tmp_path)),
        ("substack", substack_zip(tmp_path)),
    ]
    for name, path in exports:
        run(name, path)
    before = snapshot()
    for name, path in exports:
        run(name, path)
    assert snapshot() == before


# Broken and hostile exports: a clear error, nothing written


def write(tmp_path, name, content) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def zipped(tmp_path, name, members: dict[str, bytes]) -> str:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return str(path)


XXE = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss><channel><title>&secret;</title></channel></rss>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss><channel><title>&lol2;</title></channel></rss>"""
POSTS_CSV_WITHOUT_ID = "post_date,is_published,title\n2024-01-01,true,Hello\n"


@pytest.mark.parametrize(
    ("format_name", "make", "message"),
    [
        (
            "wordpress",
            lambda t: write(t, "cut.xml", (SAMPLES / "wordpress.xml").read_bytes()[:3000]),
            "cut.xml is not complete, well-formed XML",
        ),
        ("wordpress", lambda t: write(t, "xxe.xml", XXE), "declares a DTD or entities"),
        ("wordpress", lambda t: write(t, "laughs.xml", LAUGHS), "declares a DTD or entities"),
        (
            "wordpress",
            lambda t: write(t, "feed.xml", "<rss><channel><title>A feed</title></channel></rss>"),
            "not a WordPress export (no wxr_version)",
        ),
        (
            "ghost",
            lambda t: write(t, "broken.json", '{"db": [{"data": {"posts": ['),
            "not valid JSON",
        ),
        ("ghost", lambda t: write(t, "other.json", '{"posts": []}'), "not a Ghost export"),
        (
            "ghost",
            lambda t: write(t, "members.csv", "name,created_at\nLaia,2023-01-01\n"),
            "members.csv lacks the column(s) email; it has: name, created_at.",
        ),
        (
            "substack",
            lambda t: zipped(t, "s.zip", {"posts.csv": POSTS_CSV_WITHOUT_ID.encode()}),
            "posts.csv lacks the column(s) post_id",
        ),
        (
            "substack",
            lambda t: zipped(t, "evil.zip", {"../../outside.csv": b"email\na@b.example\n"}),
            "names a file outside itself",
        ),
        (
            "substack",
            lambda t: zipped(t, "abs.zip", {"/etc/email_list.csv": b"email\na@b.example\n"}),
            "names a file outside itself",
        ),
        (
            "substack",
            lambda t: zipped(t, "bomb.zip", {"email_list.x.csv": b"\0" * (30 * 2**20)}),
            "zip bomb",
        ),
        (
            "substack",
            lambda t: write(t, "x.zip", b"PK\x03\x04 not really a zip"),
            "No Substack export",
        ),
        ("substack", lambda t: str(t / "missing.zip"), "There is no file or folder"),
    ],
)
def test_broken_exports_answer_a_clear_error_and_change_nothing(
    writer, tmp_path, format_name, make, message
):
    path = make(tmp_path)
    before = snapshot()

    with pytest.raises(CommandError) as raised:
        run(format_name, path)

    assert message in str(raised.value)
    assert snapshot() == before


def test_a_zip_member_larger_than_its_header_says_is_refused(tmp_path):
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("email_list.x.csv", b"email\n" + b"a@b.example\n" * 1000)
    data = bytearray(path.read_bytes())
    # Shrink the uncompressed size the central directory announces (offset 24 in its entry).
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))

    with pytest.raises(UnreadableExport, match="larger than the zip says|damaged"):
        formats.parse("substack", path)


def test_an_image_that_is_not_one_fails_alone(writer, tmp_path):
    folder = wordpress_folder(tmp_path)
    (folder / "wp-content/uploads/2024/05/quay.png").write_bytes(b"<html>not a picture</html>")

    report = run("wordpress", folder)

    assert (
        "failed   image       quay.png (This file is not a JPEG, PNG, WebP or GIF image" in report
    )
    post = Post.objects.get(title="The quay at dawn")
    assert (
        '<a href="https://portvell.example/wp-content/uploads/2024/05/quay.png"' in post.body_html
    )
    assert post.images.filter(is_cover=True).count() == 1


def test_unknown_format_is_refused():
    with pytest.raises(UnreadableExport, match="Unknown format 'blogger'"):
        formats.parse("blogger", SAMPLES / "ghost.json")


def test_the_png_helper_makes_a_real_image():
    assert png().startswith(b"\x89PNG")
