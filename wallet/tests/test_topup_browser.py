"""The top-up page in a real browser against localstripe's fake Stripe.js: save a card with a
SetupIntent + confirmCardSetup, top up, watch the balance change once the webhook lands."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from soulseer.testing.playwright import log_in
from wallet import services
from wallet.models import TopUp

pytestmark = pytest.mark.browser


def fill_card(page, number="4242424242424242"):
    element = page.locator("#card-element")
    element.get_by_placeholder("number").fill(number)
    element.get_by_placeholder("exp_month").fill("12")
    element.get_by_placeholder("exp_year").fill("34")
    element.get_by_placeholder("cvc").fill("123")
    element.get_by_placeholder("postal_code").fill("10001")


def test_save_a_card_top_up_25_dollars_and_see_the_balance(browser_page, local_stripe, live_server):
    page = browser_page
    user = UserFactory()
    log_in(page, live_server, user)

    page.goto(f"{live_server.url}/wallet/topup/")
    page.get_by_text("$25.00", exact=True).click()
    expect(page.get_by_label("Add a new card")).to_be_checked()
    fill_card(page)
    page.get_by_role("button", name="Add $25.00").click()

    expect(page).to_have_url(re.compile(r"/wallet/topup/[0-9a-f-]{36}/$"))
    status = page.get_by_test_id("topup-status")
    expect(status).to_contain_text("$25.00 added to your wallet", timeout=20_000)
    expect(page.get_by_test_id("new-balance")).to_have_text("$25.00")
    # The header's chips, drawn before the money arrived, say the same.
    expect(page.locator("#wallet-chip-desktop")).to_contain_text("$25.00")
    expect(page.locator("#wallet-chip-mobile")).to_contain_text("$25.00")
    assert services.wallet_of(user).balance == 2500

    # One click with the saved card.
    page.goto(f"{live_server.url}/wallet/topup/")
    expect(page.get_by_label(re.compile("Visa ending 4242"))).to_be_checked()
    page.get_by_text("$10.00", exact=True).click()
    page.get_by_role("button", name="Add $10.00").click()
    expect(page.get_by_test_id("topup-status")).to_contain_text(
        "$10.00 added to your wallet", timeout=20_000
    )
    expect(page.get_by_test_id("new-balance")).to_have_text("$35.00")
    expect(page.locator("#wallet-chip-desktop")).to_contain_text("$35.00")
    assert TopUp.objects.filter(user=user, status=TopUp.Status.SUCCEEDED).count() == 2


def test_a_declined_card_shows_the_reason_and_adds_nothing(browser_page, local_stripe, live_server):
    page = browser_page
    user = UserFactory()
    log_in(page, live_server, user)

    page.goto(f"{live_server.url}/wallet/topup/")
    fill_card(page, "4000000000000341")
    page.get_by_role("button", name="Add $25.00").click()

    expect(page.get_by_role("alert").filter(has_text="declined")).to_be_visible()
    assert services.wallet_of(user).balance == 0
