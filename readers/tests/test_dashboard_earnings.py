"""A reader sees their money: earnings today, over 7 and 30 days per channel, what can be paid
out, and a header chip with their earnings instead of an empty wallet."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readings.tests.factories import make_client, make_reader
from readings.tests.test_summary_review import ended_with_paid_minutes
from wallet.selectors import earnings_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader_page():
    return make_reader(presence="online", chat=300)


def test_the_report_counts_the_readers_share_per_channel_and_what_can_be_paid_out(reader_page):
    ended_with_paid_minutes(make_client(balance=10_000), reader_page, 5)  # 5 x $3.00, 70 %
    report = earnings_report(reader_page.user)
    assert [(row.label, row.today, row.week, row.month) for row in report.rows] == [
        ("Chat", 1_050, 1_050, 1_050)
    ]
    assert report.available == 1_050


def test_earnings_leave_today_and_the_week_as_days_pass(reader_page):
    ended_with_paid_minutes(make_client(balance=10_000), reader_page, 5)
    later = earnings_report(reader_page.user, now=timezone.now() + timedelta(days=10))
    assert [(row.today, row.week, row.month) for row in later.rows] == [(0, 0, 1_050)]
    gone = earnings_report(reader_page.user, now=timezone.now() + timedelta(days=31))
    assert gone.rows == [] and gone.available == 1_050


def test_the_dashboard_shows_the_figures(client, reader_page):
    ended_with_paid_minutes(make_client(balance=10_000), reader_page, 5)
    client.force_login(reader_page.user)
    html = client.get(reverse("readers:dashboard")).content.decode()
    assert 'data-testid="earnings-row"' in html
    assert '<strong class="tabular-nums" data-testid="earnings-available">$10.50</strong>' in html


def test_a_new_reader_sees_that_nothing_was_earned_yet(client, reader_page):
    client.force_login(reader_page.user)
    html = client.get(reverse("readers:dashboard")).content.decode()
    assert 'data-testid="no-earnings"' in html
    assert 'data-testid="earnings-available">$0.00<' in html


def test_a_readers_header_chip_shows_earnings_not_an_empty_wallet(client, reader_page):
    ended_with_paid_minutes(make_client(balance=10_000), reader_page, 5)
    client.force_login(reader_page.user)
    html = client.get(reverse("readers:dashboard")).content.decode()
    assert 'aria-label="Earnings: $10.50 available to pay out"' in html
    assert "Wallet: $0.00" not in html


def test_a_clients_chip_still_shows_the_wallet(client):
    user = make_client(balance=1_234)
    client.force_login(user)
    html = client.get(reverse("wallet:overview")).content.decode()
    assert 'aria-label="Wallet: $12.34 available' in html
