"""Top-up, card and auto-reload pages: bad input, IDOR, rate limits, Stripe being unreachable."""

import json
import re

import pytest
from django.urls import reverse

from accounts.ratelimit import reset_rate_limit
from accounts.tests.factories import UserFactory
from wallet.models import TopUp
from wallet.tests.conftest import NOWHERE, wait_until
from wallet.tests.factories import fund_wallet
from wallet.tests.stripe_helpers import confirm_setup_intent_like_stripe_js, save_card


@pytest.fixture
def client_user(db):
    user = UserFactory()
    reset_rate_limit(f"wallet-topup:{user.pk}")
    return user


def test_the_top_up_page_offers_presets_a_custom_amount_and_the_card_form(client, client_user):
    client.force_login(client_user)

    page = client.get(reverse("wallet:topup"))

    assert page.status_code == 200
    html = page.content.decode()
    for label in ("$10.00", "$25.00", "$50.00", "$100.00", "Other"):
        assert label in html
    assert "Between $5.00 and $500.00." in html
    assert 'id="card-element"' in html


def test_the_top_up_page_needs_a_login(client, db):
    response = client.get(reverse("wallet:topup"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "custom", "custom_amount": "0"}, "greater than zero"),
        ({"amount": "custom", "custom_amount": "-5"}, "greater than zero"),
        ({"amount": "custom", "custom_amount": "4.99"}, "The smallest top-up is $5.00."),
        ({"amount": "custom", "custom_amount": "500.01"}, "The largest top-up is $500.00."),
        ({"amount": "custom", "custom_amount": "1234567890"}, "The largest top-up is $500.00."),
        ({"amount": "custom", "custom_amount": "99999999999999.99"}, "The largest top-up"),
        ({"amount": "custom", "custom_amount": "10.005"}, "two digits after the point"),
        ({"amount": "custom", "custom_amount": "ten"}, "Enter an amount in dollars"),
        ({"amount": "custom", "custom_amount": ""}, "Enter an top-up"),
        ({"amount": "777"}, "Select a valid choice"),
        ({"amount": "2500", "currency": "eur"}, "US dollars (USD) only"),
    ],
)
def test_bad_top_up_input_shows_a_clear_message_and_writes_nothing(
    client, client_user, data, message
):
    client.force_login(client_user)

    response = client.post(reverse("wallet:topup"), {"payment_method": "pm_x", **data})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TopUp.objects.exists()


def test_someone_elses_card_cannot_be_charged(client, client_user):
    client.force_login(client_user)

    response = client.post(reverse("wallet:topup"), {"amount": "2500", "payment_method": "pm_x"})

    assert response.status_code == 400
    assert "Choose one of your saved cards." in response.content.decode()
    assert not TopUp.objects.exists()


def test_top_up_posts_are_rate_limited(client, client_user):
    client.force_login(client_user)
    for _ in range(10):
        client.post(reverse("wallet:topup"), {"amount": "2500", "payment_method": "pm_x"})

    response = client.post(reverse("wallet:topup"), {"amount": "2500", "payment_method": "pm_x"})

    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    reset_rate_limit(f"wallet-topup:{client_user.pk}")


def test_another_users_top_up_is_not_found(client, client_user):
    other = TopUp.objects.create(user=UserFactory(), amount=2500)
    client.force_login(client_user)

    response = client.get(reverse("wallet:topup_status", args=[other.public_id]))

    assert response.status_code == 404


def test_the_status_panel_polls_until_the_top_up_is_final(client, client_user):
    top_up = TopUp.objects.create(
        user=client_user, amount=2500, status=TopUp.Status.PROCESSING, payment_intent_id="pi_x"
    )
    client.force_login(client_user)
    url = reverse("wallet:topup_status", args=[top_up.public_id])

    polling = client.get(url, headers={"HX-Request": "true"})
    top_up.status = TopUp.Status.FAILED
    top_up.failure_message = "Your card was declined."
    top_up.save()
    final = client.get(url, headers={"HX-Request": "true"})

    assert 'hx-trigger="every 1s"' in polling.content.decode()
    assert "Confirming your payment" in polling.content.decode()
    assert "hx-trigger" not in final.content.decode()
    assert "Your card was declined." in final.content.decode()


def test_the_panel_that_reports_a_credited_top_up_also_updates_the_header_chips(
    client, client_user
):
    top_up = TopUp.objects.create(
        user=client_user, amount=2500, status=TopUp.Status.SUCCEEDED, payment_intent_id="pi_x"
    )
    fund_wallet(client_user, 2500)
    client.force_login(client_user)
    url = reverse("wallet:topup_status", args=[top_up.public_id])

    panel = client.get(url, headers={"HX-Request": "true"}).content.decode()
    page = client.get(url).content.decode()

    for variant in ("desktop", "mobile"):
        chip = re.search(rf'<a id="wallet-chip-{variant}" hx-swap-oob="true"[^>]*>', panel)
        assert chip and "Wallet: $25.00 available" in chip.group(0), panel
    # The full page's own header is already current: nothing out of band there.
    assert "hx-swap-oob" not in page


# With localstripe ------------------------------------------------------------------------------


def test_one_click_top_up_with_a_saved_card_redirects_to_the_status_page(client, local_stripe):
    user = UserFactory()
    card = save_card(user)
    client.force_login(user)

    response = client.post(reverse("wallet:topup"), {"amount": "2500", "payment_method": card.id})

    top_up = TopUp.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("wallet:topup_status", args=[top_up.public_id])
    assert wait_until(
        lambda: TopUp.objects.filter(pk=top_up.pk, status=TopUp.Status.SUCCEEDED).exists()
    )
    page = client.get(response["Location"])
    assert "$25.00 added to your wallet" in page.content.decode()


def test_a_declined_card_shows_the_reason_on_the_page(client, local_stripe):
    user = UserFactory()
    card = save_card(user, number="4000000000000341")
    client.force_login(user)

    response = client.post(reverse("wallet:topup"), {"amount": "2500", "payment_method": card.id})

    assert response.status_code == 400
    assert "Your card was declined." in response.content.decode()


def test_unreachable_stripe_shows_a_clear_error_on_the_page(client, local_stripe, monkeypatch):
    # Webhooks handled meanwhile would fail too (same process) and the test client re-raises them.
    local_stripe.deliver_webhooks_to(NOWHERE)
    user = UserFactory()
    card = save_card(user)
    client.force_login(user)
    monkeypatch.setattr("stripe.api_base", "http://127.0.0.1:9")

    response = client.post(reverse("wallet:topup"), {"amount": "2500", "payment_method": card.id})

    assert response.status_code == 400
    assert "We could not reach our payment provider." in response.content.decode()
    assert client.post(reverse("wallet:card_setup")).status_code == 503


def test_saving_a_card_through_the_json_endpoints(client, local_stripe):
    user = UserFactory()
    client.force_login(user)

    setup = client.post(reverse("wallet:card_setup")).json()
    confirm_setup_intent_like_stripe_js(setup["client_secret"], "4242424242424242")
    saved = client.post(
        reverse("wallet:card_save"),
        json.dumps({"setup_intent": setup["client_secret"].split("_secret_")[0]}),
        content_type="application/json",
    )

    assert saved.status_code == 200
    assert saved.json()["card"]["last4"] == "4242"
    assert "ending 4242" in client.get(reverse("wallet:cards")).content.decode()


def test_another_users_setup_intent_cannot_be_claimed(client, local_stripe):
    owner = UserFactory()
    client.force_login(owner)
    setup = client.post(reverse("wallet:card_setup")).json()
    confirm_setup_intent_like_stripe_js(setup["client_secret"], "4242424242424242")
    client.force_login(UserFactory())

    response = client.post(
        reverse("wallet:card_save"),
        json.dumps({"setup_intent": setup["client_secret"].split("_secret_")[0]}),
        content_type="application/json",
    )

    assert response.status_code == 404


def test_another_users_card_cannot_be_removed(client, local_stripe):
    card = save_card(UserFactory())
    client.force_login(UserFactory())

    response = client.post(reverse("wallet:card_remove", args=[card.id]))

    assert response.status_code == 404
    card.refresh_from_db()
    assert card.customer is not None


def test_removing_your_card_detaches_it(client, local_stripe):
    user = UserFactory()
    card = save_card(user)
    client.force_login(user)

    response = client.post(reverse("wallet:card_remove", args=[card.id]))

    assert response.status_code == 302
    page = client.get(reverse("wallet:cards")).content.decode()
    assert "Visa ending 4242 was removed." in page
    assert 'data-testid="card-list"' not in page


def test_auto_reload_can_only_use_your_own_card(client, local_stripe):
    user = UserFactory()
    other_card = save_card(UserFactory())
    save_card(user)
    client.force_login(user)

    response = client.post(
        reverse("wallet:autoreload"),
        {
            "enabled": "on",
            "threshold": "5",
            "amount": "25",
            "payment_method": other_card.id,
            "daily_limit": "2",
        },
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
