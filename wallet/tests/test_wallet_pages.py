"""The wallet page, its history list, the receipt page, limits form and the header chip."""

import uuid
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from wallet import services
from wallet.models import LedgerAccount, SpendingLimit, Transfer
from wallet.tests.factories import fund_wallet, pay_reading, spend

pytestmark = pytest.mark.django_db

WALLET = reverse("wallet:overview")


def top_up(user, amount, brand="visa", last4="4242"):
    return services.transfer(
        [
            services.Leg(services.platform_account(LedgerAccount.Kind.STRIPE_CLEARING), -amount),
            services.Leg(services.wallet_of(user), amount),
        ],
        idempotency_key=f"topup:{uuid.uuid4()}",
        kind=Transfer.Kind.TOP_UP,
        description="Card top-up",
        metadata={"card_brand": brand, "card_last4": last4},
    )


@pytest.fixture
def shopper(client):
    user = UserFactory(display_name="Ann")
    client.force_login(user)
    return user


def test_the_wallet_page_needs_a_login(client):
    response = client.get(WALLET)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_an_empty_wallet_says_what_to_do_next(client, shopper):
    response = client.get(WALLET)
    body = response.content.decode()
    assert response.status_code == 200
    assert "No activity yet" in body
    assert "Browse readers" in body
    assert 'data-testid="balance">$0.00' in body


def test_balance_reserved_and_explained_lines(client, shopper):
    reader = UserFactory(reader=True, display_name="Luna")
    top_up(shopper, 5_000)
    pay_reading(shopper, reader, 1_200, minutes=12)
    services.hold(shopper, 700, idempotency_key="b:1", description="Booking with Luna on May 3")
    body = client.get(WALLET).content.decode()
    assert 'data-testid="balance">$31.00' in body
    assert 'data-testid="reserved">$7.00' in body
    assert "Held for bookings and paid messages" in body
    assert "Reading with Luna" in body and "12 min" in body
    assert "Top-up" in body and "Visa •4242" in body
    assert "Reserved for booking with Luna on May 3" in body
    assert "-$12.00" in body and "+$50.00" in body
    assert 'data-testid="earnings-card"' not in body


def test_readers_also_see_their_earnings(client):
    reader = UserFactory(reader=True)
    shopper = UserFactory(display_name="Ann")
    fund_wallet(shopper, 2_000)
    pay_reading(shopper, reader, 1_000)
    client.force_login(reader)
    body = client.get(WALLET).content.decode()
    assert 'data-testid="earnings">$7.00' in body
    assert "Earnings from a reading" in body


def test_history_filters_by_type_and_date_and_keeps_them_in_the_url(client, shopper):
    top_up(shopper, 5_000)
    spend(shopper, 300)
    body = client.get(WALLET, {"type": "top_ups"}).content.decode()
    assert "Visa •4242" in body
    assert "-$3.00" not in body
    assert 'value="top_ups" selected' in body
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = client.get(WALLET, {"date_from": tomorrow}).content.decode()
    assert "Nothing matches these filters" in body


def test_an_htmx_request_gets_only_the_history_list(client, shopper):
    top_up(shopper, 5_000)
    response = client.get(
        WALLET, {"type": "top_ups"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="wallet-history"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'data-testid="history-line"' in body
    assert "HX-Request" in response["Vary"]


def test_history_is_paginated_and_pages_keep_the_filters(client, shopper):
    fund_wallet(shopper, 100_000)
    for _ in range(24):
        spend(shopper, 100)
    first = client.get(WALLET, {"type": "purchases"}).content.decode()
    assert first.count('data-testid="history-line"') == 20
    assert "?type=purchases&amp;page=2" in first
    second = client.get(WALLET, {"type": "purchases", "page": 2}).content.decode()
    assert second.count('data-testid="history-line"') == 4


@pytest.mark.parametrize("entries", [2, 40])
def test_the_page_costs_a_bounded_number_of_queries(
    client, shopper, entries, django_assert_max_num_queries
):
    reader = UserFactory(reader=True, display_name="Luna")
    fund_wallet(shopper, 100_000)
    for _ in range(entries):
        pay_reading(shopper, reader, 100)
    services.hold(shopper, 500, idempotency_key="b:q", description="Booking")
    services.set_spending_limits(shopper, daily=90_000)
    # The first request of a fresh site creates its settings row; measure the steady state.
    # 13: session, user, wallet summary, holds, history count + page, top-up details, limits
    # (2), Wagtail userbar permissions (2), site, settings. The same for 2 and 40 entries.
    client.get(WALLET)
    with django_assert_max_num_queries(13):
        assert client.get(WALLET).status_code == 200


def test_auto_reload_top_ups_say_so(client, shopper):
    from wallet.models import TopUp

    credit = top_up(shopper, 1_500, last4="")
    TopUp.objects.create(
        user=shopper, amount=1_500, source=TopUp.Source.AUTO_RELOAD, credit_transfer=credit
    )
    assert "Top-up (auto-reload)" in client.get(WALLET).content.decode()


def test_a_receipt_page_explains_one_transaction(client, shopper):
    topup = top_up(shopper, 2_500, brand="mastercard", last4="4444")
    response = client.get(reverse("wallet:transfer_detail", args=[topup.public_id]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Mastercard •4444" in body and "+$25.00" in body
    assert str(topup.public_id) in body


def test_setting_limits_from_the_wallet_page(client, shopper):
    url = reverse("wallet:spending_limits")
    response = client.post(url, {"daily": "20.00", "weekly": "", "monthly": "100"})
    assert response.status_code == 302
    limit = SpendingLimit.objects.get(user=shopper)
    assert (limit.daily, limit.weekly, limit.monthly) == (2_000, None, 10_000)
    client.post(url, {"daily": "50.00", "weekly": "", "monthly": "100"})
    limit.refresh_from_db()
    assert limit.daily == 2_000 and limit.pending == {"daily": 5_000}
    body = client.get(WALLET).content.decode()
    assert 'data-testid="pending-limits"' in body
    assert "$0.00 of $20.00" in body


def test_invalid_limits_are_shown_next_to_the_field(client, shopper):
    response = client.post(reverse("wallet:spending_limits"), {"daily": "-5"})
    assert response.status_code == 400
    assert "greater than or equal to 0.01" in response.content.decode()
    assert not SpendingLimit.objects.filter(user=shopper).exists()


def test_the_top_up_button_links_to_the_top_up_page(client, shopper):
    body = client.get(WALLET).content.decode()
    assert f'href="{reverse("wallet:topup")}"' in body
    assert "not available yet" not in body


# Header chip -------------------------------------------------------------------------------------


def test_the_header_chip_shows_balance_and_reserved_on_every_page(client, shopper):
    fund_wallet(shopper, 4_200)
    services.hold(shopper, 1_000, idempotency_key="b:chip", description="Booking")
    body = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="wallet-chip"' in body
    assert "Wallet: $32.00 available, $10.00 reserved" in body


def test_the_header_chip_is_one_query_and_absent_for_visitors(client, django_assert_num_queries):
    user = UserFactory()
    fund_wallet(user, 100)
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load wallet_tags %}{% wallet_chip %}{% wallet_chip 'mobile' %}")
    with django_assert_num_queries(1):
        html = template.render(Context({"request": request}))
    assert html.count('data-testid="wallet-chip"') == 2 and "$1.00" in html
    assert 'data-testid="wallet-chip"' not in client.get(reverse("accounts:login")).content.decode()
