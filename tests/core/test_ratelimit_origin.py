import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from core import ratelimit
from core.origin import is_same_origin, same_origin_post


def test_requests_beyond_the_limit_are_refused():
    results = [ratelimit.allow("test", "203.0.113.0/24", limit=2, period=60) for _ in range(3)]
    assert results == [True, True, False]


def test_limits_are_counted_per_key():
    assert ratelimit.allow("test", "a", limit=1, period=60)
    assert ratelimit.allow("test", "b", limit=1, period=60)
    assert not ratelimit.allow("test", "a", limit=1, period=60)


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("not-an-ip", "unknown"),
    ],
)
def test_clients_are_grouped_by_network(address, network):
    request = RequestFactory().get("/", REMOTE_ADDR=address)
    assert ratelimit.client_network(request) == network


def test_forwarded_for_is_ignored_unless_trusted(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    settings.TRUST_X_FORWARDED_FOR = False
    assert ratelimit.client_ip(request) == "10.0.0.1"
    settings.TRUST_X_FORWARDED_FOR = True
    assert ratelimit.client_ip(request) == "1.2.3.4"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"HTTP_ORIGIN": "http://testserver"}, True),
        ({"HTTP_ORIGIN": "https://evil.example"}, False),
        ({"HTTP_ORIGIN": "null"}, False),
        ({"HTTP_REFERER": "http://testserver/2026/11/post/"}, True),
        ({"HTTP_REFERER": "https://evil.example/page"}, False),
        ({}, False),
    ],
)
def test_same_origin_check(headers, expected):
    request = RequestFactory().post("/x/", **headers)
    assert is_same_origin(request) is expected


@pytest.mark.django_db
def test_cross_site_post_gets_a_403_page_and_the_view_never_runs():
    calls = []
    view = same_origin_post(lambda request: calls.append(1) or HttpResponse("ok"))
    response = view(RequestFactory().post("/x/", HTTP_ORIGIN="https://evil.example"))
    assert response.status_code == 403
    assert calls == []
    ok = view(RequestFactory().post("/x/", HTTP_ORIGIN="http://testserver"))
    assert ok.status_code == 200


def test_a_burst_across_a_window_edge_is_still_counted():
    start = 60 * 1_000_000
    results = [
        ratelimit.allow("edge", "198.51.100.0/24", limit=2, period=60, now=start + offset)
        for offset in (-0.5, -0.2, 0.1)
    ]
    assert results == [True, True, False]


def test_take_counts_an_attempt_only_where_every_limit_allows_it():
    per_reader = ratelimit.Limit("t-reader", "ada", limit=2, period=60)
    per_network = ratelimit.Limit("t-network", "203.0.113.0/24", limit=3, period=60)
    start = 60 * 2_000_000 + 5
    assert ratelimit.take([per_reader, per_network], now=start) is None
    assert ratelimit.take([per_reader, per_network], now=start + 1) is None
    refused, wait = ratelimit.take([per_reader, per_network], now=start + 2)
    assert refused == per_reader
    # The refused attempt was not counted on the network: another reader still fits.
    other = ratelimit.Limit("t-reader", "bo", limit=2, period=60)
    assert ratelimit.take([other, per_network], now=start + 3) is None
    assert ratelimit.take([other, per_network], now=start + 4)[0] == per_network


def test_the_wait_is_exactly_as_long_as_the_limit_needs():
    limit = ratelimit.Limit("t-wait", "ada", limit=2, period=60)
    start = 60 * 3_000_000 + 10
    assert ratelimit.take([limit], now=start) is None
    assert ratelimit.take([limit], now=start + 1) is None
    _, wait = ratelimit.take([limit], now=start + 2)
    assert ratelimit.take([limit], now=start + 2 + wait - 1) is not None
    assert ratelimit.take([limit], now=start + 2 + wait) is None


@pytest.mark.parametrize("address", ["2001:db8:abcd:12::1", "2001:db8:abcd:12:ffff::9"])
def test_an_ipv6_network_can_be_a_64(address):
    request = RequestFactory().get("/", REMOTE_ADDR=address)
    assert ratelimit.client_network(request, ipv6_prefix=64) == "2001:db8:abcd:12::/64"
