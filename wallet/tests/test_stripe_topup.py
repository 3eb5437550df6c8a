"""Top-ups end to end through a real localstripe: card saved with a SetupIntent, PaymentIntent
confirmed, signed webhook delivered to the live server, wallet credited by our handler."""

import re

import pytest
import stripe
from djstripe.models import Event

from accounts.tests.factories import UserFactory
from wallet import payments, services
from wallet.models import LedgerAccount, TopUp, Transfer
from wallet.tests.conftest import NOWHERE, wait_until
from wallet.tests.stripe_helpers import save_card

Kind = LedgerAccount.Kind


def balance(user):
    return services.wallet_of(user).balance


def credited(top_up):
    top_up.refresh_from_db()
    return top_up.status == TopUp.Status.SUCCEEDED


def test_top_up_is_credited_once_by_the_payment_intent_succeeded_webhook(local_stripe):
    client = UserFactory()
    card = save_card(client)

    top_up = payments.start_top_up(client, 2500, card.id)

    assert top_up.status == TopUp.Status.PROCESSING
    assert top_up.payment_intent_id.startswith("pi_")
    assert wait_until(lambda: credited(top_up)), "the webhook never credited the wallet"
    assert balance(client) == 2500
    credit = Transfer.objects.get(idempotency_key=f"stripe:pi:{top_up.payment_intent_id}")
    assert top_up.credit_transfer == credit
    assert services.platform_account(Kind.STRIPE_CLEARING).balance == -2500
    assert Event.objects.filter(type="payment_intent.succeeded").count() == 1


def test_saved_card_is_mirrored_on_the_users_customer(local_stripe):
    client = UserFactory()

    card = save_card(client)

    assert card.customer.subscriber == client
    assert payments.card_summary(card)["last4"] == "4242"
    assert list(payments.saved_cards(client)) == [card]
    assert list(payments.saved_cards(UserFactory())) == []


def test_declined_card_gives_a_clear_error_and_credits_nothing(local_stripe):
    client = UserFactory()
    card = save_card(client, number="4000000000000341")

    with pytest.raises(payments.PaymentDeclined, match="declined"):
        payments.start_top_up(client, 2500, card.id)

    top_up = TopUp.objects.get(user=client)
    assert top_up.status == TopUp.Status.FAILED
    assert "declined" in top_up.failure_message
    # The payment_intent.payment_failed event arrives too and changes nothing.
    assert wait_until(lambda: Event.objects.filter(type="payment_intent.payment_failed").exists())
    assert balance(client) == 0
    assert not Transfer.objects.filter(kind=Transfer.Kind.TOP_UP).exists()


def test_a_top_up_repays_what_the_client_owes_first(local_stripe):
    client = UserFactory()
    owed = services.get_account(Kind.CLIENT_OWED, client)
    services.transfer(
        [services.Leg(owed, -700), services.Leg(services.platform_account(Kind.REFUNDS), 700)],
        idempotency_key="test-owed",
        kind=Transfer.Kind.ADJUSTMENT,
    )
    card = save_card(client)

    top_up = payments.start_top_up(client, 2500, card.id)

    assert wait_until(lambda: credited(top_up))
    owed.refresh_from_db()
    assert owed.balance == 0
    assert balance(client) == 1800


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "greater than zero"),
        (-500, "greater than zero"),
        (499, "smallest top-up is $5.00"),
        (50001, "largest top-up is $500.00"),
        (25.5, "whole number of cents"),
        ("2500", "whole number of cents"),
    ],
)
def test_bad_top_up_amounts_are_refused_before_anything_is_written(amount, message, db):
    client = UserFactory()

    with pytest.raises(payments.InvalidAmount, match=re.escape(message)):
        payments.start_top_up(client, amount, "pm_anything")

    assert not TopUp.objects.exists()


def test_other_currencies_are_refused(db):
    with pytest.raises(payments.InvalidAmount, match="USD only"):
        payments.check_top_up_amount(2500, "eur")


def test_unreachable_stripe_gives_a_clear_error_and_leaves_no_half_state(local_stripe, monkeypatch):
    local_stripe.deliver_webhooks_to(NOWHERE)  # handlers in this process would fail too
    client = UserFactory()
    card = save_card(client)
    monkeypatch.setattr("stripe.api_base", "http://127.0.0.1:9")

    with pytest.raises(payments.StripeUnavailable, match="could not reach"):
        payments.start_top_up(client, 2500, card.id)

    top_up = TopUp.objects.get(user=client)
    assert top_up.status == TopUp.Status.FAILED
    assert balance(client) == 0


# The handler's own rules (fed the verified event's object directly, as Stripe holds it) --------


def paid_intent(top_up, *, metadata=None, **params):
    """A PaymentIntent really made in localstripe for ``top_up`` (confirmed with a saved card
    unless ``confirm=False``); its webhook goes nowhere, the tests call the handler."""
    card = save_card(top_up.user)
    defaults = {
        "amount": top_up.amount,
        "currency": "usd",
        "customer": card.customer.id,
        "payment_method": card.id,
        "payment_method_types": ["card"],
        "confirm": True,
    }
    intent = stripe.PaymentIntent.create(
        **{**defaults, **params},
        metadata={
            "purpose": "wallet_top_up",
            "top_up": str(top_up.public_id),
            "user": str(top_up.user_id),
        }
        if metadata is None
        else metadata,
    )
    return intent.to_dict()


@pytest.fixture
def quiet_stripe(local_stripe):
    local_stripe.deliver_webhooks_to(NOWHERE)
    return local_stripe


def test_a_webhook_that_beats_the_api_response_finds_its_top_up_by_metadata(quiet_stripe):
    client = UserFactory()
    top_up = TopUp.objects.create(user=client, amount=2500)
    intent = paid_intent(top_up)

    payments.credit_top_up(intent)
    payments.credit_top_up(intent)

    top_up.refresh_from_db()
    assert top_up.payment_intent_id == intent["id"]
    assert top_up.status == TopUp.Status.SUCCEEDED
    assert balance(client) == 2500


def test_metadata_naming_another_user_credits_nothing(quiet_stripe):
    top_up = TopUp.objects.create(user=UserFactory(), amount=2500)
    intruder = UserFactory()
    intent = paid_intent(
        top_up,
        metadata={
            "purpose": "wallet_top_up",
            "top_up": str(top_up.public_id),
            "user": str(intruder.pk),
        },
    )

    assert payments.credit_top_up(intent) is None
    assert balance(top_up.user) == 0 and balance(intruder) == 0


def test_a_payment_in_another_currency_is_not_credited(quiet_stripe):
    top_up = TopUp.objects.create(user=UserFactory(), amount=2500)

    assert payments.credit_top_up(paid_intent(top_up, currency="eur")) is None

    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.FAILED
    assert top_up.needs_review
    assert not Transfer.objects.exists()


def test_a_currency_claimed_by_the_event_body_is_not_believed(quiet_stripe):
    top_up = TopUp.objects.create(user=UserFactory(), amount=2500)
    intent = paid_intent(top_up, currency="eur")

    assert payments.credit_top_up({**intent, "currency": "usd"}) is None
    assert not Transfer.objects.exists()


def test_payment_intents_that_are_not_top_ups_are_ignored(quiet_stripe):
    top_up = TopUp.objects.create(user=UserFactory(), amount=2500)

    assert payments.credit_top_up(paid_intent(top_up, metadata={})) is None
    unconfirmed = paid_intent(top_up, confirm=False)
    assert payments.credit_top_up({**unconfirmed, "status": "succeeded"}) is None
    assert not Transfer.objects.exists()
