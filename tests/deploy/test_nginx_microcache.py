"""The shipped nginx configuration (deploy/nginx/site.conf) in front of the live test server.

nginx runs as a child process with its own prefix (tests/bench/nginx.py renders the shipped
file with local ports and folders); nothing here touches a system nginx. Proven on the wire:
anonymous pages come from the micro-cache, a session cookie or a POST never does and is never
stored, and a post published meanwhile shows once the short TTL has passed.
"""

import re
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.bench.nginx import SITE_CONF, Nginx, free_port, nginx_binary, render_site
from tests.factories import PostFactory, UserFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        nginx_binary() is None,
        reason="nginx is not installed (`apt-get install nginx`; `make bench` installs it)",
    ),
]

# The micro-cache's lifetime, as the shipped file sets it.
TTL = int(re.search(r"proxy_cache_valid 200 (\d+)s;", SITE_CONF.read_text()).group(1))


@pytest.fixture
def proxy(live_server, tmp_path, settings):
    settings.PAGE_CACHE_SECONDS = 300  # Django marks anonymous pages shareable (s-maxage)
    port = free_port()
    upstream = int(live_server.url.rsplit(":", 1)[1])
    site = render_site(
        listen=port,
        upstream=upstream,
        static_root=tmp_path / "static",
        media_root=tmp_path / "media",
        cache_dir=tmp_path / "cache",
    )
    with Nginx(tmp_path / "nginx", [site], [port]):
        yield f"http://127.0.0.1:{port}"


def get(url: str, *, cookie: str = "", method: str = "GET", data: bytes | None = None):
    headers = {"Accept-Encoding": "identity"}
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    return f"{cookie.key}={cookie.value}"


def test_anonymous_pages_are_served_from_the_micro_cache(proxy):
    post = PostFactory()
    url = proxy + post.get_absolute_url()
    status, first, body = get(url)
    assert status == 200 and post.title in body
    assert first["X-Cache-Status"] == "MISS"
    status, second, again = get(url)
    assert status == 200 and second["X-Cache-Status"] == "HIT"
    assert again == body


def test_a_signed_in_reader_is_never_served_or_stored_by_the_cache(proxy):
    post = PostFactory()
    url = proxy + post.get_absolute_url()
    get(url)
    assert get(url)[1]["X-Cache-Status"] == "HIT"  # an anonymous copy is in the cache
    reader = UserFactory(username="ines", first_name="Inés", last_name="Ortega")
    cookie = session_cookie(reader)
    for _ in range(2):
        status, headers, body = get(url, cookie=cookie)
        assert status == 200
        assert headers["X-Cache-Status"] == "BYPASS"
        assert "Commenting as <strong>Inés Ortega</strong>" in body
    status, headers, body = get(url)
    assert headers["X-Cache-Status"] == "HIT"
    assert "Inés" not in body  # the personal page was never stored for the next visitor
    # With the __Host- prefix (https) and among other cookies, too.
    status, headers, _ = get(url, cookie=f"theme=dark; __Host-{cookie}")
    assert headers["X-Cache-Status"] == "BYPASS"


def test_a_post_is_never_answered_from_or_stored_in_the_cache(proxy):
    url = proxy + "/search/?q=budget"
    get(url)
    assert get(url)[1]["X-Cache-Status"] == "HIT"
    for _ in range(2):
        status, headers, _ = get(url, method="POST", data=b"q=budget")
        # Django's own refusal (no CSRF cookie), not the cached 200 page.
        assert status == 403
        assert headers["X-Cache-Status"] not in ("HIT", "STALE", "UPDATING")
    status, headers, _ = get(url)
    assert status == 200 and headers["X-Cache-Status"] == "HIT"


def test_a_post_published_meanwhile_shows_within_the_micro_cache_ttl(proxy):
    PostFactory(title="Yesterday’s piece")
    status, headers, body = get(proxy + "/")
    assert "Yesterday’s piece" in body
    assert get(proxy + "/")[1]["X-Cache-Status"] == "HIT"
    published = time.monotonic()
    PostFactory(title="Breaking: the bridge reopens")
    # One request after the TTL may still get the old copy while nginx refreshes it in the
    # background (proxy_cache_use_stale updating); the next one has the new page.
    deadline = published + TTL + 3
    while "Breaking: the bridge reopens" not in get(proxy + "/")[2]:
        assert time.monotonic() < deadline, f"the new post did not show within {TTL} s"
        time.sleep(0.5)
