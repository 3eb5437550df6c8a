"""3-D Secure in a real browser with localstripe's fake Stripe.js: its "3D Secure" box (Complete /
Fail authentication) appears when the card is saved (confirmCardSetup) and again when the
payment is confirmed (confirmCardPayment on the top-up status page)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from soulseer.testing.playwright import log_in
from wallet import services
from wallet.models import TopUp
from wallet.tests.test_topup_browser import fill_card

pytestmark = pytest.mark.browser

CARD_3DS = "4000002760003184"


def start_3ds_top_up(page, live_server, user):
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/wallet/topup/")
    page.get_by_text("$25.00", exact=True).click()
    fill_card(page, CARD_3DS)
    page.get_by_role("button", name="Add $25.00").click()
    # Saving the card: the bank's check for the SetupIntent.
    page.get_by_role("button", name="Complete authentication").click()
    expect(page).to_have_url(re.compile(r"/wallet/topup/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("topup-status")).to_contain_text("confirm it's you")
    assert TopUp.objects.get(user=user).status == TopUp.Status.REQUIRES_ACTION


def test_a_3ds_card_is_confirmed_in_the_page_and_credited_by_the_webhook(
    browser_page, local_stripe, live_server
):
    page = browser_page
    user = UserFactory()
    start_3ds_top_up(page, live_server, user)
    assert services.wallet_of(user).balance == 0

    page.get_by_test_id("authenticate").click()
    page.get_by_role("button", name="Complete authentication").click()

    expect(page.get_by_test_id("topup-status")).to_contain_text(
        "$25.00 added to your wallet", timeout=20_000
    )
    expect(page.get_by_test_id("new-balance")).to_have_text("$25.00")
    assert services.wallet_of(user).balance == 2500


def test_a_failed_3ds_check_shows_the_failure_and_adds_nothing(
    browser_page, local_stripe, live_server
):
    page = browser_page
    user = UserFactory()
    start_3ds_top_up(page, live_server, user)

    page.get_by_test_id("authenticate").click()
    page.get_by_role("button", name="Fail authentication").click()

    status = page.get_by_test_id("topup-status")
    expect(status).to_contain_text("The payment did not go through", timeout=20_000)
    expect(status).to_contain_text("failed authentication")
    assert services.wallet_of(user).balance == 0
    assert TopUp.objects.get(user=user).status == TopUp.Status.FAILED
