"""Checkout by card, through localstripe and its signed webhooks: the order waits until Stripe's
verified ``payment_intent.succeeded`` credits the card payment, then pays from the wallet in
that webhook's transaction exactly as a wallet checkout does. Two buyers racing by card for the
last item: one is paid, the other cancelled and refunded to the card in full."""

import json
import threading
import uuid
from datetime import timedelta

import pytest
import requests
from django.urls import reverse

from accounts.tests.factories import UserFactory
from home.models import AuditEvent
from shop import services
from shop import tasks as shop_tasks
from shop.errors import CardPaymentFailed, SpendingLimitWouldBlock
from shop.models import CartLine, Order, ProductPage
from shop.tests.factories import ADDRESS, cart_of, digital, physical
from wallet import services as ledger
from wallet import tasks as wallet_tasks
from wallet.models import LedgerAccount, Purchase, TopUp, Transfer
from wallet.selectors import wallet_summary
from wallet.tests.conftest import NOWHERE, sign, wait_until
from wallet.tests.stripe_helpers import save_card
from wallet.tests.test_webhooks import succeeded_event_for

Kind = LedgerAccount.Kind
# Stripe's test card that saves but is declined when charged.
DECLINED_WHEN_CHARGED = "4000000000000341"


@pytest.fixture
def queued(monkeypatch):
    """Tasks the wallet enqueues (by name, with their args), run by the test with ``run``."""
    jobs = []
    monkeypatch.setattr(
        "wallet.jobs.enqueue", lambda name, *args, countdown=None: jobs.append((name, args))
    )
    return jobs


def run(jobs):
    """Run each queued task for real, in this process (Celery's ``apply``)."""
    for name, args in jobs:
        assert name == "wallet.tasks.refund_card_sale", name
        wallet_tasks.refund_card_sale.apply(args=args).get()


def pay_by_card(buyer, card, *items, key=None, **kwargs):
    cart = cart_of(buyer)
    for item in items:
        product, quantity = item if isinstance(item, tuple) else (item, 1)
        services.add_to_cart(cart, product, quantity)
    return services.checkout_with_card(
        buyer, payment_method_id=card.id, idempotency_key=key or uuid.uuid4().hex, **kwargs
    )


def paid_soon(order):
    return wait_until(lambda: Order.objects.get(pk=order.pk).state != Order.State.PENDING)


def post_event(local_stripe, event):
    payload = json.dumps(event)
    return requests.post(
        local_stripe.webhook_url(),
        data=payload.encode(),
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign(payload, local_stripe.secret),
        },
        timeout=30,
    )


def test_a_card_order_waits_for_the_webhook_then_pays_the_reader_their_share_and_empties_the_cart(
    local_stripe, shop, queued
):
    luna = UserFactory(reader=True)
    meditation = digital(shop, "Meditation", price_cents=1999, seller=luna)
    buyer = UserFactory()
    card = save_card(buyer)

    order = pay_by_card(buyer, card, meditation)

    assert order.payment_method == Order.Method.CARD
    assert paid_soon(order)
    order.refresh_from_db()
    # Nothing ships: paid, then fulfilled by its download.
    assert order.state == Order.State.FULFILLED and order.total_cents == 1999
    top_up = TopUp.objects.get(sale_reference=f"order:{order.public_id}")
    assert top_up.status == TopUp.Status.SUCCEEDED and top_up.amount == 1999
    # The card's 19.99 came into the wallet and went out again for the order, once.
    assert wallet_summary(buyer).balance == 0
    assert Transfer.objects.filter(purchase=order.purchase).count() == 1
    assert wallet_summary(luna).earnings == 1399  # 70 % of 19.99, rounded down
    assert ledger.platform_account(Kind.PLATFORM_REVENUE).balance == 600
    assert not CartLine.objects.filter(cart__user=buyer).exists()
    assert queued == []
    assert AuditEvent.objects.filter(action="order.paid", data__by="card").count() == 1


def test_two_buyers_racing_by_card_for_the_last_item_one_is_paid_the_other_refunded_in_full(
    local_stripe, shop, queued
):
    deck = physical(shop, "Last deck", price_cents=3400, stock=1)
    buyers = [UserFactory() for _ in range(2)]
    cards = [save_card(buyer) for buyer in buyers]
    local_stripe.deliver_webhooks_to(NOWHERE)  # both payments clear before either webhook
    orders = [
        pay_by_card(buyer, card, deck, shipping=ADDRESS)
        for buyer, card in zip(buyers, cards, strict=True)
    ]
    events = [
        succeeded_event_for(local_stripe, TopUp.objects.get(sale_reference=f"order:{o.public_id}"))
        for o in orders
    ]
    local_stripe.deliver_webhooks_to(local_stripe.webhook_url())
    barrier = threading.Barrier(2)
    statuses = []

    def deliver(event):
        barrier.wait()
        statuses.append(post_event(local_stripe, event).status_code)

    threads = [threading.Thread(target=deliver, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert statuses == [200, 200]
    states = sorted(
        Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("state", flat=True)
    )
    assert states == [Order.State.CANCELLED, Order.State.PAID]
    assert ProductPage.objects.get(pk=deck.pk).stock == 0
    loser = Order.objects.get(pk__in=[o.pk for o in orders], state=Order.State.CANCELLED)
    assert "sold out" in loser.cancel_reason and "refunded in full" in loser.cancel_reason
    assert loser.purchase_id is None

    # The refund goes to the loser's card, once, however often the task runs.
    assert len(queued) == 1
    run(queued)
    run(queued)
    refunded = TopUp.objects.get(sale_reference=f"order:{loser.public_id}")
    assert refunded.refunded_amount == 3400
    assert (
        Transfer.objects.filter(
            kind=Transfer.Kind.REFUND, metadata__top_up=str(refunded.public_id)
        ).count()
        == 1
    )
    assert wallet_summary(loser.buyer).balance == 0
    winner = Order.objects.get(pk__in=[o.pk for o in orders], state=Order.State.PAID)
    assert wallet_summary(winner.buyer).balance == 0
    assert Purchase.objects.filter(reference__startswith="order:").count() == 1


def test_a_declined_card_cancels_the_order_keeps_the_cart_and_credits_nothing(
    local_stripe, shop, queued
):
    meditation = digital(shop, price_cents=900)
    buyer = UserFactory()
    card = save_card(buyer)
    cart = cart_of(buyer)
    services.add_to_cart(cart, meditation)
    declined = save_card(buyer, DECLINED_WHEN_CHARGED)

    with pytest.raises(CardPaymentFailed):
        services.checkout_with_card(
            buyer, payment_method_id=declined.id, idempotency_key=uuid.uuid4().hex
        )

    order = Order.objects.get(buyer=buyer)
    assert order.state == Order.State.CANCELLED and order.cancel_reason
    assert CartLine.objects.filter(cart=cart).count() == 1
    assert wallet_summary(buyer).balance == 0
    assert not Transfer.objects.filter(kind=Transfer.Kind.TOP_UP).exists()
    # The cart is intact: the good card pays it.
    order = services.checkout_with_card(
        buyer, payment_method_id=card.id, idempotency_key=uuid.uuid4().hex
    )
    assert paid_soon(order)


def test_the_same_card_checkout_form_sent_twice_charges_the_card_once(local_stripe, shop, queued):
    meditation = digital(shop, price_cents=900)
    buyer = UserFactory()
    card = save_card(buyer)
    key = uuid.uuid4().hex

    first = pay_by_card(buyer, card, meditation, key=key)
    second = services.checkout_with_card(buyer, payment_method_id=card.id, idempotency_key=key)

    assert first.pk == second.pk
    assert paid_soon(first)
    assert TopUp.objects.filter(user=buyer).count() == 1
    assert wallet_summary(buyer).balance == 0


def test_a_spending_limit_refuses_a_card_order_before_the_card_is_charged(local_stripe, shop):
    deck = physical(shop, price_cents=3400)
    buyer = UserFactory()
    card = save_card(buyer)
    ledger.wallet_of(buyer)
    ledger.set_spending_limits(buyer, daily=2000)

    with pytest.raises(SpendingLimitWouldBlock):
        pay_by_card(buyer, card, deck, shipping=ADDRESS)

    assert not Order.objects.filter(buyer=buyer).exists()
    assert not TopUp.objects.filter(user=buyer).exists()


def test_a_webhook_that_claims_another_amount_pays_the_order_with_what_stripe_received(
    local_stripe, shop, queued
):
    meditation = digital(shop, price_cents=1500)
    buyer = UserFactory()
    card = save_card(buyer)
    local_stripe.deliver_webhooks_to(NOWHERE)
    order = pay_by_card(buyer, card, meditation)
    top_up = TopUp.objects.get(sale_reference=f"order:{order.public_id}")
    event = succeeded_event_for(local_stripe, top_up)
    event["data"]["object"]["amount"] = event["data"]["object"]["amount_received"] = 150_000

    assert post_event(local_stripe, event).status_code == 200

    order.refresh_from_db()
    assert order.is_paid
    top_up.refresh_from_db()
    assert top_up.needs_review  # the event's claim is flagged for staff
    assert wallet_summary(buyer).balance == 0  # 15.00 in, 15.00 out; never 1,500.00


def test_the_checkout_page_pays_by_a_saved_card_and_the_order_page_follows_the_payment(
    local_stripe, shop, client, queued
):
    meditation = digital(shop, "Meditation", price_cents=1200)
    buyer = UserFactory()
    card = save_card(buyer)
    services.add_to_cart(cart_of(buyer), meditation)
    client.force_login(buyer)
    page = client.get(reverse("shop:checkout"))
    assert b"Pay $12.00 by card" in page.content and b"ending 4242" in page.content

    response = client.post(
        reverse("shop:checkout"),
        {
            "idempotency_key": page.context["form"]["idempotency_key"].value(),
            "pay_with": "card",
            "payment_method": card.id,
        },
    )

    order = Order.objects.get(buyer=buyer)
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert paid_soon(order)
    poll = client.get(order.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert poll.status_code == 204 and poll["HX-Refresh"] == "true"
    receipt = client.get(order.get_absolute_url())
    assert b"Paid by card" in receipt.content and b'data-testid="download"' in receipt.content


def test_a_pending_card_order_page_polls_and_no_one_else_can_see_it(local_stripe, shop, client):
    meditation = digital(shop, price_cents=1200)
    buyer = UserFactory()
    card = save_card(buyer)
    local_stripe.deliver_webhooks_to(NOWHERE)
    order = pay_by_card(buyer, card, meditation)

    client.force_login(buyer)
    page = client.get(order.get_absolute_url())
    assert b"Confirming your card payment" in page.content and b"hx-trigger" in page.content
    client.force_login(UserFactory())
    assert client.get(order.get_absolute_url()).status_code == 404
    assert client.get(order.get_absolute_url(), HTTP_HX_REQUEST="true").status_code == 404


def test_a_card_order_never_paid_is_cancelled_after_a_day_and_a_late_payment_is_refunded(
    local_stripe, shop, queued
):
    meditation = digital(shop, price_cents=1500)
    buyer = UserFactory()
    card = save_card(buyer)
    local_stripe.deliver_webhooks_to(NOWHERE)
    old, recent = pay_by_card(buyer, card, meditation), None
    Order.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(hours=25))
    CartLine.objects.filter(cart__user=buyer).delete()
    recent = pay_by_card(buyer, card, meditation)

    assert shop_tasks.cancel_abandoned_card_orders.apply().get() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.state == Order.State.CANCELLED and "24 hours" in old.cancel_reason
    assert recent.state == Order.State.PENDING
    # The old order's payment clears after all: nothing is sold, the card is refunded.
    late = succeeded_event_for(
        local_stripe, TopUp.objects.get(sale_reference=f"order:{old.public_id}")
    )
    assert post_event(local_stripe, late).status_code == 200
    old.refresh_from_db()
    assert old.state == Order.State.CANCELLED and old.purchase_id is None
    run(queued)
    assert TopUp.objects.get(sale_reference=f"order:{old.public_id}").refunded_amount == 1500
    assert wallet_summary(buyer).balance == 0
