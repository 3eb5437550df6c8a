from django.http import HttpResponse
from django.test import RequestFactory

from accounts.ratelimit import check_rate_limit, client_ip, hit_count, rate_limit, reset_rate_limit


def test_check_rate_limit_allows_up_to_the_limit_then_refuses():
    results = [check_rate_limit("k", limit=3, window_seconds=60) for _ in range(5)]
    assert results == [True, True, True, False, False]


def test_rate_limit_keys_are_counted_separately():
    for _ in range(3):
        check_rate_limit("a", limit=3, window_seconds=60)
    assert check_rate_limit("a", limit=3, window_seconds=60) is False
    assert check_rate_limit("b", limit=3, window_seconds=60) is True


def test_reset_rate_limit_opens_a_fresh_window():
    for _ in range(4):
        check_rate_limit("k", limit=3, window_seconds=60)
    reset_rate_limit("k")
    assert check_rate_limit("k", limit=3, window_seconds=60) is True


def ok_view(request):
    return HttpResponse("ok")


def test_rate_limit_decorator_answers_429_without_calling_the_view():
    calls = []

    @rate_limit(key=lambda r: "deco", limit=2, window_seconds=60)
    def view(request):
        calls.append(1)
        return HttpResponse("ok")

    statuses = [view(RequestFactory().post("/")).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert len(calls) == 2


def test_rate_limit_decorator_leaves_other_methods_alone():
    view = rate_limit(key=lambda r: "get", limit=1, window_seconds=60)(ok_view)
    statuses = [view(RequestFactory().get("/")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]


def test_rate_limit_decorator_gives_back_hits_that_do_not_count():
    view = rate_limit(
        key=lambda r: "counted", limit=1, window_seconds=60, counts=lambda req, resp: False
    )(ok_view)
    statuses = [view(RequestFactory().post("/")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert hit_count("counted") == 0


def test_client_ip_trusts_forwarded_for_only_behind_configured_proxies(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    settings.RATELIMIT_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.RATELIMIT_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"
