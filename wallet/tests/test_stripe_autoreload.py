"""Auto-reload: a debit that takes the wallet under the threshold charges the saved card
off-session (a Celery task enqueued on commit), within a daily cap."""

import pytest

from accounts.tests.factories import UserFactory
from soulseer.celery import app as celery_app
from wallet import payments, services
from wallet.models import AutoReload, TopUp
from wallet.tests.conftest import wait_until
from wallet.tests.factories import fund_wallet, spend
from wallet.tests.stripe_helpers import save_card


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def balance(user):
    return services.wallet_of(user).balance


def all_credited(user):
    return not TopUp.objects.filter(user=user).exclude(status=TopUp.Status.SUCCEEDED).exists()


def opt_in(user, card, *, threshold=500, amount=2000, daily_limit=2):
    return payments.configure_auto_reload(
        user,
        enabled=True,
        threshold=threshold,
        amount=amount,
        payment_method_id=card.id,
        daily_limit=daily_limit,
    )


def test_a_debit_under_the_threshold_reloads_the_wallet_off_session(local_stripe, eager_celery):
    client = UserFactory()
    card = save_card(client)
    fund_wallet(client, 1000)
    opt_in(client, card)

    spend(client, 700)  # 300 left, under the 500 threshold

    reload = TopUp.objects.get(user=client)
    assert reload.source == TopUp.Source.AUTO_RELOAD and reload.amount == 2000
    assert wait_until(lambda: all_credited(client))
    assert balance(client) == 2300


def test_auto_reload_respects_the_daily_cap(local_stripe, eager_celery):
    client = UserFactory()
    card = save_card(client)
    fund_wallet(client, 600)
    opt_in(client, card, amount=500, daily_limit=1)

    spend(client, 200)
    assert wait_until(lambda: all_credited(client))
    spend(client, 800)

    assert TopUp.objects.filter(user=client).count() == 1
    assert balance(client) == 100


def test_no_second_reload_starts_while_one_is_in_flight(db, monkeypatch):
    client = UserFactory()
    AutoReload.objects.create(
        user=client, enabled=True, threshold=500, amount=2000, payment_method_id="pm_x"
    )
    TopUp.objects.create(
        user=client, amount=2000, source=TopUp.Source.AUTO_RELOAD, status=TopUp.Status.PROCESSING
    )

    assert payments.auto_reload_now(client.pk) is None
    assert TopUp.objects.filter(user=client).count() == 1


def test_a_declined_reload_turns_auto_reload_off_and_says_why(local_stripe, eager_celery):
    client = UserFactory()
    card = save_card(client, number="4000000000000341")
    fund_wallet(client, 1000)
    opt_in(client, card)

    spend(client, 900)

    setting = AutoReload.objects.get(user=client)
    assert setting.enabled is False
    assert "declined" in setting.last_failure_message
    assert balance(client) == 100


def test_nothing_is_enqueued_above_the_threshold_or_without_opt_in(
    db, django_capture_on_commit_callbacks
):
    client = UserFactory()
    fund_wallet(client, 1000)
    with django_capture_on_commit_callbacks() as callbacks:
        spend(client, 100)
    assert callbacks == []

    AutoReload.objects.create(
        user=client, enabled=True, threshold=500, amount=2000, payment_method_id="pm_x"
    )
    with django_capture_on_commit_callbacks() as callbacks:
        spend(client, 100)  # 800 left
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        spend(client, 400)  # 400 left: under the threshold
    assert len(callbacks) == 1
