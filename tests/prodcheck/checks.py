"""The three shared-state checks: comments, publishing and rate limits across the nodes.

Each reader acts as a browser without JavaScript's shortcuts would not: it reads the form off
the page, fetches the form's stamp as the page's script does, waits as long as a person takes
to type (the site refuses quicker forms), posts with the Origin a browser sends, and follows
the link in the email it receives.

"At once", given the caches in between (decided here, and why):

- Django's page cache is shared in Redis and a change starts a new generation there after
  commit; each process may answer from its own copy for PAGE_CACHE_LOCAL_SECONDS (1 s). So
  the other node must show a change within that second: that is asserted.
- nginx's micro-cache keeps a page for MICROCACHE seconds (5 s, deploy/nginx/site.conf) and
  cannot be told to forget it (purging needs a module Debian's nginx lacks). The reader who
  made the change lands on a `?c=` address no cache holds, and a newly published post's own
  address was never cached: both show through nginx on the first request, which is asserted.
  Everyone else's copy of an existing page is bounded by the TTL: asserted within
  MICROCACHE + PAGE_CACHE_LOCAL_SECONDS, plus the one stale answer nginx hands out while it
  refreshes (proxy_cache_use_stale updating): one more second.
"""

import json
import re
import secrets
import time
from dataclasses import dataclass

from tests.prodcheck.reader import Mailbox, Reader, form, link_in
from tests.prodcheck.report import Report
from tests.prodcheck.topology import AUTHOR, Topology

TYPING_SECONDS = 3.2  # COMMENTS_MIN_SUBMIT_SECONDS and NEWSLETTER_MIN_SUBMIT_SECONDS are 3
LOCAL_COPY_SECONDS = 1.0  # PAGE_CACHE_LOCAL_SECONDS, the default the nodes run with
NODE_BOUND = LOCAL_COPY_SECONDS + 0.5
JSON = {"Accept": "application/json"}
WARM_UPS = 6


def microcache_ttl() -> int:
    from tests.bench.nginx import SITE_CONF

    return int(re.search(r"proxy_cache_valid 200 (\d+)s;", SITE_CONF.read_text()).group(1))


def proxy_bound() -> float:
    return microcache_ttl() + LOCAL_COPY_SECONDS + 1.0


# Posting, as a reader ----------------------------------------------------------------------


def start_comment(reader: Reader, post_url: str, *, name: str, address: str, text: str) -> dict:
    """Read the form, fetch its stamp, wait as a person types: the form ready to send."""
    page = reader.get(post_url)
    if page.status != 200:
        raise AssertionError(f"{post_url} answered {page.status}")
    fields = form(page.body, "/comments/post/")["fields"]
    stamp = reader.post(
        "/comments/stamp/",
        {"content_type": fields["content_type"], "object_pk": fields["object_pk"]},
        headers=JSON,
    )
    if stamp.status != 200:
        raise AssertionError(f"the comment form's stamp: {stamp.status}")
    fields |= {
        "stamp": stamp.json()["stamp"],
        "name": name,
        "email": address,
        "url": "",
        "comment": text,
        "reply_to": "0",
    }
    return fields


def send_comment(reader: Reader, fields: dict) -> int:
    """Post a prepared comment form; the status (202: "check your email")."""
    answer = reader.post("/comments/post/", fields, headers=JSON)
    if answer.status == 202 and answer.json().get("state") != "confirm":
        raise AssertionError(f"unexpected answer to a new commenter: {answer.body[:200]}")
    return answer.status


def confirm_comment(reader: Reader, mailbox: Mailbox, address: str, *, timeout: float) -> str:
    """Follow the emailed link and press "Publish my comment"; the `?c=` address shown."""
    link = link_in(mailbox.wait_for(address, timeout=timeout), "/comments/confirm/")
    page = reader.get(link)
    action = form(page.body, "/confirm/")["action"]
    published = reader.post(action, {})
    if published.status != 200:
        raise AssertionError(f"publishing the comment answered {published.status}")
    match = re.search(r'href="([^"]*\?c=\d+)[^"]*"', published.body)
    if not match:
        raise AssertionError("the published page links to no ?c= address")
    return match.group(1)


def start_signup(reader: Reader, address: str) -> dict:
    page = reader.get("/newsletter/")
    fields = form(page.body, "/newsletter/signup/")["fields"]
    stamp = reader.get("/newsletter/signup/stamp/")
    fields |= {"email": address, "stamp": stamp.json()["stamp"]}
    return fields


def send_signup(reader: Reader, fields: dict) -> int:
    return reader.post("/newsletter/signup/", fields, headers=JSON).status


def confirm_signup(reader: Reader, mailbox: Mailbox, address: str, *, timeout: float) -> None:
    link = link_in(mailbox.wait_for(address, timeout=timeout), "/newsletter/confirm/")
    page = reader.get(link)
    action = form(page.body, "/newsletter/confirm/")["action"]
    confirmed = reader.post(action, {})
    if confirmed.status != 200:
        raise AssertionError(f"confirming {address} answered {confirmed.status}")


# The checks --------------------------------------------------------------------------------


def shows(reader: Reader, path: str, text: str) -> bool:
    answer = reader.get(path)
    return answer.status == 200 and text in answer.body


@dataclass
class Freshness:
    """When, after a change, requests were sent that still got the old page, and the first one
    that got the new: staleness is judged by when a request was *sent* (a slow answer under
    load is not a stale one)."""

    last_stale: float | None
    first_fresh: float | None

    def within(self, bound: float) -> bool:
        return self.first_fresh is not None and (self.last_stale or 0.0) <= bound

    def __str__(self) -> str:
        stale = (
            "no stale answer"
            if self.last_stale is None
            else f"last stale answer to a request sent {self.last_stale:.2f} s after the change"
        )
        return f"{stale}, first fresh one sent at {fmt(self.first_fresh)}"


def watch(reader: Reader, path: str, text: str, *, since: float, timeout: float) -> Freshness:
    """Ask for `path` again and again until it shows `text` (or `timeout` has passed)."""
    last_stale = None
    while True:
        sent = time.monotonic()
        if shows(reader, path, text):
            return Freshness(last_stale, sent - since)
        last_stale = sent - since
        if last_stale > timeout:
            return Freshness(last_stale, None)
        time.sleep(0.05)


def comment_shows_everywhere(topology: Topology, report: Report, post_url: str) -> None:
    mailbox = Mailbox(topology.mail_folder)
    token = secrets.token_hex(4)
    text = f"Comment {token}: the ferry was on time for once, and nobody noticed."
    address = f"commenter-{token}@writers.example.org"
    on_a = Reader(node_url(topology, "a"), address="127.0.101.1", site_url=topology.site_url)
    on_b = on_a.at(node_url(topology, "b"))
    via_nginx = on_a.at(topology.site_url)
    # Every layer holds the page before the comment: nginx's micro-cache, B's shared page
    # cache and (asked several times, so that each of its workers is likely to have answered)
    # B's workers' own copies.
    for reader in (*[on_b] * WARM_UPS, via_nginx, via_nginx):
        reader.get(post_url)
    cached = via_nginx.get(post_url).headers.get("X-Cache-Status")

    fields = start_comment(on_a, post_url, name="Ines Ortega", address=address, text=text)
    time.sleep(TYPING_SECONDS)
    status = send_comment(on_a, fields)
    if status != 202:
        report.check(False, "comment posted on node A", f"answered {status}")
        return
    fresh_url = confirm_comment(on_a, mailbox, address, timeout=30)
    published_at = time.monotonic()
    on_b_after = watch(on_b, post_url, text, since=published_at, timeout=10)
    fresh = via_nginx.get(fresh_url)
    at_once = fresh.status == 200 and text in fresh.body
    nginx_after = watch(via_nginx, post_url, text, since=published_at, timeout=proxy_bound() + 5)
    report.check(
        on_b_after.within(NODE_BOUND),
        "comment posted and confirmed on node A shows on node B",
        f"{on_b_after} (bound {NODE_BOUND:.1f} s: the node's {LOCAL_COPY_SECONDS:.0f} s "
        "local copy)",
    )
    report.check(
        at_once,
        "…and through nginx at once at the commenter's ?c= address",
        f"first request {fresh.status}, X-Cache-Status {fresh.headers.get('X-Cache-Status')}",
    )
    report.check(
        nginx_after.within(proxy_bound()),
        "…and through nginx for everyone, within the micro-cache TTL",
        f"{nginx_after} (page was {cached} in nginx; bound {proxy_bound():.0f} s = "
        f"{microcache_ttl()} s TTL + {LOCAL_COPY_SECONDS:.0f} s + 1 s stale-while-updating)",
    )


def sign_in_author(topology: Topology, reader: Reader) -> bool:
    """The admin's login, then the emailed 6-digit code for a new browser (core.staff)."""
    page = reader.get("/admin/login/")
    fields = form(page.body, "/admin/login/")["fields"]
    fields |= {"username": AUTHOR["username"], "password": topology.password, "next": "/admin/"}
    signed_in = reader.post("/admin/login/", fields)
    if signed_in.status != 302:
        return False
    message = Mailbox(topology.mail_folder).wait_for(AUTHOR["email"], timeout=30)
    code = re.search(r"^\s*(\d{6})\s*$", message.get_body(("plain",)).get_content(), re.M)
    page = reader.get("/admin/verify/")
    fields = form(page.body, "/admin/verify/")["fields"] | {"code": code.group(1)}
    verified = reader.post("/admin/verify/", fields)
    return verified.status == 302 and reader.get("/admin/").status == 200


def publishing_refreshes_everywhere(topology: Topology, report: Report, draft: dict) -> None:
    author = Reader(node_url(topology, "a"), address="127.0.102.1", site_url=topology.site_url)
    if not report.check(
        sign_in_author(topology, author),
        "author signed in on node A (password, then the emailed code)",
        "admin answers 200",
    ):
        return
    admin_on_b = author.at(node_url(topology, "b")).get("/admin/")
    report.check(
        admin_on_b.status == 200 and "Log out" in admin_on_b.body,
        "the author's session works on node B (sessions in the database)",
        f"node B's /admin/ answered {admin_on_b.status}",
    )
    on_b = Reader(node_url(topology, "b"), address="127.0.102.2")
    via_nginx = Reader(topology.site_url, address="127.0.102.3")
    before = [*(on_b.get("/") for _ in range(WARM_UPS)), via_nginx.get("/"), via_nginx.get("/")]
    unseen = all(answer.status == 200 and draft["title"] not in answer.body for answer in before)
    cached = before[-1].headers.get("X-Cache-Status")

    changelist = author.get("/admin/blog/post/")
    action = {
        "csrfmiddlewaretoken": csrf_token(changelist.body),
        "action": "publish_now",
        "_selected_action": str(draft["pk"]),
        "index": "0",
        "select_across": "0",
    }
    published = author.post("/admin/blog/post/", action)
    published_at = time.monotonic()
    if not report.check(
        published.status == 302 and unseen,
        "author publishes a draft on node A (admin action)",
        f"answered {published.status}; the post was on no page before (nginx: {cached})",
    ):
        return
    new_page = via_nginx.get(draft["url"])
    on_b_after = watch(on_b, "/", draft["title"], since=published_at, timeout=10)
    nginx_after = watch(
        via_nginx, "/", draft["title"], since=published_at, timeout=proxy_bound() + 5
    )
    report.check(
        on_b_after.within(NODE_BOUND),
        "publishing on A invalidates node B's cached home page",
        f"{on_b_after} (bound {NODE_BOUND:.1f} s)",
    )
    report.check(
        new_page.status == 200 and draft["title"] in new_page.body,
        "…the new post's own page shows through nginx at once",
        f"first request {new_page.status}",
    )
    report.check(
        nginx_after.within(proxy_bound()),
        "…and nginx's cached home page within the micro-cache TTL",
        f"{nginx_after} (bound {proxy_bound():.0f} s)",
    )


def rate_limit_is_shared(topology: Topology, report: Report) -> list[str]:
    """Signups from one network: 5 an hour (NEWSLETTER_SIGNUPS_PER_HOUR), counted in Redis.

    Returns the addresses that signed up (they are confirmed with the writers' at the end).
    """
    on_a = Reader(node_url(topology, "a"), address="127.0.103.1", site_url=topology.site_url)
    on_b = on_a.at(node_url(topology, "b"))
    limit = 5
    addresses = [f"limited-{n}-{secrets.token_hex(3)}@writers.example.org" for n in range(limit)]
    forms = [start_signup(on_a, address) for address in addresses]
    extra = [start_signup(on_a, f"over-{n}@writers.example.org") for n in range(2)]
    neighbour = Reader(node_url(topology, "b"), address="127.0.104.1", site_url=topology.site_url)
    other = start_signup(neighbour, f"neighbour-{secrets.token_hex(3)}@writers.example.org")
    time.sleep(TYPING_SECONDS)
    on_a_answers = [send_signup(on_a, fields) for fields in forms]
    refused_on_b = on_b.post("/newsletter/signup/", extra[0], headers=JSON)
    refused_on_a = send_signup(on_a, extra[1])
    other_network = send_signup(neighbour, other)
    report.check(
        on_a_answers == [200] * limit
        and refused_on_b.status == 429
        and refused_on_a == 429
        and other_network == 200,
        "a reader rate-limited on node A is limited on node B",
        f"A accepted {on_a_answers.count(200)}/{limit} signups from 127.0.103.0/24; the next one "
        f"on B: {refused_on_b.status} (Retry-After {refused_on_b.headers.get('Retry-After')} s), "
        f"on A: {refused_on_a}; another network on B: {other_network}",
    )
    return addresses + [other["email"]] if other_network == 200 else addresses


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise AssertionError("no CSRF token on the admin page")
    return match.group(1)


def node_url(topology: Topology, node: str) -> str:
    port = topology.ports.node_a if node == "a" else topology.ports.node_b
    return f"http://127.0.0.1:{port}"


def fmt(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.2f} s"


def dump(data) -> str:
    return json.dumps(data, sort_keys=True)
