"""Purchases, not minutes: a reading or a booking is one line of the wallet's history, one row of
the statement and one receipt listing its minutes (or its reservation), built through the real
reading and booking services."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from readings import billing, services
from readings.tests.factories import (
    active_session,
    make_booking,
    make_client,
    make_reader,
    shift_back,
)
from readings.tests.test_bookings import both_join, shift_session_back, starting_now
from wallet import selectors
from wallet.models import Purchase, Transfer

pytestmark = pytest.mark.django_db

WALLET = reverse("wallet:overview")
RATE = 300  # chat, $3.00 a minute; the reader's share is 70 %


@pytest.fixture
def reader_page():
    return make_reader(
        presence="online", chat=RATE, user=UserFactory(reader=True, display_name="Aurora Vale")
    )


def reading(client_user, reader_page, minutes, *, free_minutes=0, end=True):
    """A live reading billed minute by minute by the sweep: ``minutes`` started (the first
    ``free_minutes`` of them free), then ended by the client unless ``end=False``."""
    session = active_session(client_user, reader_page, free_minutes=free_minutes)
    shift_back(session, (minutes - 1) * 60 + 10)
    billing.charge_due_minutes()
    if end:
        services.end(session, client_user)
    session.refresh_from_db()
    assert session.billed_minutes == minutes
    assert session.paid_minutes == minutes - free_minutes
    return session


def purchase_of(session):
    return Purchase.objects.get(pk=session.purchase_id)


def lines_of(user, **filters):
    return selectors.history_lines(selectors.history_line_entries(user, **filters))


def page_of(client, user, **params):
    client.force_login(user)
    response = client.get(WALLET, params)
    assert response.status_code == 200
    return response.content.decode()


def receipt_of(client, user, purchase, **params):
    client.force_login(user)
    return client.get(reverse("wallet:purchase_detail", args=[purchase.public_id]), params)


def statement_of(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("wallet:statement_csv"), params)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# The history ------------------------------------------------------------------------------------


def test_a_ten_minute_reading_is_one_history_line_with_its_total_and_a_link_to_its_receipt(
    client, reader_page
):
    buyer = make_client(balance=10_000)
    purchase = purchase_of(reading(buyer, reader_page, 10))
    assert Transfer.objects.filter(purchase=purchase).count() == 10

    top_up, line = reversed(lines_of(buyer))
    assert line.purchase == purchase and top_up.purchase is None
    assert line.title == "Chat reading with Aurora Vale"
    assert (line.amount, line.count, line.minutes) == (-3_000, 10, 10)
    purchase.refresh_from_db()
    assert line.detail == (purchase.summary or "10 min so far")
    html = page_of(client, buyer)
    assert html.count('data-testid="history-line"') == 2
    assert html.count("Chat reading with Aurora Vale") == 1
    assert "-$30.00" in html and "+$100.00" in html
    receipt_url = reverse("wallet:purchase_detail", args=[purchase.public_id])
    assert f'href="{receipt_url}"' in html
    movements_url = reverse("wallet:purchase_movements", args=[purchase.public_id])
    assert f'hx-get="{movements_url}"' in html and 'hx-trigger="toggle once"' in html


def test_a_reading_in_progress_says_how_many_minutes_so_far(reader_page):
    buyer = make_client(balance=10_000)
    reading(buyer, reader_page, 4, end=False)
    line = lines_of(buyer)[0]
    assert (line.title, line.detail, line.amount) == (
        "Chat reading with Aurora Vale",
        "4 min so far",
        -1_200,
    )


def test_the_sellers_summary_is_the_lines_detail_once_it_is_set(reader_page):
    from wallet import sales

    buyer = make_client(balance=10_000)
    purchase = purchase_of(reading(buyer, reader_page, 10, free_minutes=3))
    sales.complete_purchase(purchase.pk, summary="10 min (3 free)")
    line = lines_of(buyer)[0]
    assert (line.detail, line.amount, line.minutes) == ("10 min (3 free)", -2_100, 7)


def test_the_reader_sees_the_reading_as_one_earnings_line_for_the_client(client, reader_page):
    buyer = make_client(balance=10_000)
    type(buyer).objects.filter(pk=buyer.pk).update(display_name="Ann")
    purchase = purchase_of(reading(buyer, reader_page, 10))
    [line] = lines_of(reader_page.user)
    assert (line.title, line.amount, line.is_earnings) == ("Chat reading for Ann", 2_100, True)
    html = page_of(client, reader_page.user)
    assert html.count('data-testid="history-line"') == 1
    assert "+$21.00" in html and "Earnings" in html
    body = receipt_of(client, reader_page.user, purchase).content.decode()
    assert "Chat reading for Ann" in body and "Total earned" in body and "$21.00" in body
    assert body.count('data-testid="movement"') == 10 and "-$30.00" not in body


def test_the_page_filters_still_apply_to_purchase_lines(client, reader_page):
    buyer = make_client(balance=10_000)
    reading(buyer, reader_page, 3)
    assert [line.amount for line in lines_of(buyer, category="readings")] == [-900]
    assert [line.amount for line in lines_of(buyer, category="top_ups")] == [10_000]
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert lines_of(buyer, date_from=tomorrow) == []
    assert [line.amount for line in lines_of(buyer, date_to=timezone.localdate())] == [-900, 10_000]
    html = page_of(client, buyer, type="readings")
    assert html.count('data-testid="history-line"') == 1 and "-$9.00" in html


def test_lines_are_ordered_by_their_latest_movement(reader_page):
    from wallet.tests.factories import fund_wallet

    buyer = make_client(balance=10_000)
    first = purchase_of(reading(buyer, reader_page, 2))
    fund_wallet(buyer, 500)
    second = purchase_of(reading(buyer, reader_page, 3))
    lines = lines_of(buyer)
    assert [line.purchase for line in lines] == [second, None, first, None]
    assert [line.amount for line in lines] == [-900, 500, -600, 10_000]


# The receipt ------------------------------------------------------------------------------------


def test_the_receipt_lists_every_paid_minute_with_its_index_time_and_amount(client, reader_page):
    buyer = make_client(balance=10_000)
    session = reading(buyer, reader_page, 10, free_minutes=3)
    purchase = purchase_of(session)

    response = receipt_of(client, buyer, purchase)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Chat reading with Aurora Vale" in body
    assert re.search(r'data-testid="purchase-total">\$21\.00<', body)
    assert body.count('data-testid="movement"') == 7
    labels = re.findall(r"Minute (\d+)", body)
    assert labels == [str(n) for n in range(4, 11)]
    assert body.count("-$3.00") == 7
    detail_url = reverse("readings:session", args=[session.public_id])
    assert purchase.detail_url == detail_url
    assert f'href="{detail_url}"' in body and "Reading summary and transcript" in body
    assert str(purchase.public_id) in body


# A receipt page: user, the purchase, its figures, the movements' count and their page (one query
# each, whatever the minutes), wallet chip, site, settings.
RECEIPT_PAGE_QUERIES = 8


def test_a_five_hour_reading_has_a_paged_receipt_at_the_same_cost_on_every_page(
    client, reader_page, django_assert_num_queries
):
    buyer = make_client(balance=100_000)
    purchase = purchase_of(reading(buyer, reader_page, 300))
    receipt_of(client, buyer, purchase)  # signed in; the site's settings row exists from here on
    url = reverse("wallet:purchase_detail", args=[purchase.public_id])
    pages = {}
    for page in (1, 5):
        with django_assert_num_queries(RECEIPT_PAGE_QUERIES):
            pages[page] = client.get(url, {"page": page}).content.decode()
    first, last = pages[1], pages[5]
    for body in (first, last):
        assert re.search(r'data-testid="purchase-total">\$900\.00<', body)
    assert first.count('data-testid="movement"') == selectors.RECEIPT_PAGE_SIZE
    assert "Minute 1<" in first and "Minute 60<" in first and "Minute 61<" not in first
    assert last.count('data-testid="movement"') == 60 and "Minute 300<" in last
    assert "241–300 of 300" in last


def test_a_history_line_opens_in_place_into_its_first_minutes(client, reader_page):
    buyer = make_client(balance=10_000)
    purchase = purchase_of(reading(buyer, reader_page, 12))
    client.force_login(buyer)

    response = client.get(
        reverse("wallet:purchase_movements", args=[purchase.public_id]), HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.count('data-testid="movement"') == selectors.RECEIPT_PREVIEW_SIZE
    assert "Minute 1<" in body and "Minute 10<" in body and "Minute 11<" not in body
    assert "See every movement on the receipt" in body
    assert reverse("wallet:purchase_detail", args=[purchase.public_id]) in body


def test_nobody_else_can_open_a_receipt_or_its_minutes(client, reader_page):
    buyer = make_client(balance=10_000)
    purchase = purchase_of(reading(buyer, reader_page, 2))
    detail = reverse("wallet:purchase_detail", args=[purchase.public_id])
    movements = reverse("wallet:purchase_movements", args=[purchase.public_id])
    assert client.get(detail).status_code == 302  # visitors sign in first
    other_reader = make_reader(user=UserFactory(reader=True)).user
    for intruder in (make_client(balance=5_000), other_reader):
        client.force_login(intruder)
        assert client.get(detail).status_code == 404
        assert client.get(movements).status_code == 404
        assert "Aurora Vale" not in page_of(client, intruder)
    client.force_login(buyer)
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.get(reverse("wallet:purchase_detail", args=[unknown])).status_code == 404


def test_a_minutes_own_receipt_links_to_its_purchase(client, reader_page):
    buyer = make_client(balance=10_000)
    purchase = purchase_of(reading(buyer, reader_page, 2))
    minute = Transfer.objects.filter(purchase=purchase).first()
    client.force_login(buyer)
    body = client.get(reverse("wallet:transfer_detail", args=[minute.public_id])).content.decode()
    assert reverse("wallet:purchase_detail", args=[purchase.public_id]) in body


# Bookings ---------------------------------------------------------------------------------------


def test_a_booking_is_one_line_with_its_hold_and_its_capture(client):
    booking = make_booking()  # 30 minutes of chat at $3.00: $90.00 reserved
    purchase = Purchase.objects.get(pk=booking.purchase_id)
    buyer, reader = booking.client, booking.reader
    [_top_up, reserved] = reversed(lines_of(buyer))
    assert (reserved.purchase, reserved.amount, reserved.detail) == (purchase, -9_000, "Reserved")
    assert reserved.icon == "lock"
    body = receipt_of(client, buyer, purchase).content.decode()
    assert re.search(r'data-testid="purchase-total">\$0\.00<', body)
    assert re.search(r'data-testid="purchase-reserved">\$90\.00', body)

    starting_now(booking)
    session = both_join(booking)
    shift_session_back(session, booking, 5 * 60 + 30)  # the sixth minute has started
    services.end(session, reader)  # the reader ends early: 6 minutes are charged

    [_top_up, line] = reversed(lines_of(buyer))
    assert (line.purchase, line.amount, line.count) == (purchase, -1_800, 2)
    purchase.refresh_from_db()
    assert line.detail == (purchase.summary or "Charged")
    html = page_of(client, buyer)
    assert html.count('data-testid="history-line"') == 2 and "-$18.00" in html
    assert "Booked reading with" in html
    body = receipt_of(client, buyer, purchase).content.decode()
    assert re.search(r'data-testid="purchase-total">\$18\.00<', body)
    assert 'data-testid="purchase-reserved"' not in body
    assert body.count('data-testid="movement"') == 2
    assert "Reserved" in body and "-$90.00" in body
    assert "Charged $18.00" in body and "+$72.00" in body
    [earned] = lines_of(reader)
    assert (earned.purchase, earned.amount, earned.is_earnings) == (purchase, 1_260, True)
    assert earned.title == f"Booked reading for {buyer.display_name or buyer.username}"


def test_a_booking_charged_in_full_still_shows_its_capture(client):
    booking = make_booking()
    purchase = Purchase.objects.get(pk=booking.purchase_id)
    starting_now(booking)
    session = both_join(booking)
    shift_session_back(session, booking, 5 * 60)
    services.end(session, booking.client)  # the client ends early: the full price

    [_top_up, line] = reversed(lines_of(booking.client))
    assert (line.amount, line.count) == (-9_000, 1)  # the capture moved nothing on the wallet
    body = receipt_of(client, booking.client, purchase).content.decode()
    assert re.search(r'data-testid="purchase-total">\$90\.00<', body)
    assert "Charged $90.00" in body and body.count('data-testid="movement"') == 2


def test_a_declined_booking_is_one_line_that_cost_nothing(client):
    from readings import bookings

    booking = make_booking(accept=False)
    bookings.decline(booking, booking.reader)
    purchase = Purchase.objects.get(pk=booking.purchase_id)
    [_top_up, line] = reversed(lines_of(booking.client))
    assert (line.purchase, line.amount, line.count, line.icon) == (purchase, 0, 2, "unlock")
    assert line.detail == (purchase.summary or "Released")
    body = receipt_of(client, booking.client, purchase).content.decode()
    assert re.search(r'data-testid="purchase-total">\$0\.00<', body)
    assert "Released" in body and "+$90.00" in body and "-$90.00" in body


# The statement ----------------------------------------------------------------------------------


def test_the_statement_has_one_row_per_purchase_like_the_page(client, reader_page):
    buyer = make_client(balance=20_000)
    purchase = purchase_of(reading(buyer, reader_page, 10))
    booking = make_booking(client=buyer)

    header, *rows = statement_of(client, buyer)

    assert header[-1] == "Minutes" and header[5] == "Amount (USD)"
    assert len(rows) == 3
    by_reference = {row[6]: row for row in rows}
    row = by_reference[str(purchase.public_id)]
    assert row[1:6] == ["Chat reading with Aurora Vale", row[2], "Live reading", "Wallet", "-30.00"]
    assert row[7] == "10"
    held = by_reference[str(booking.purchase.public_id)]
    assert (held[3], held[5], held[7]) == ("Booked reading", "-90.00", "")
    assert sorted(r[5] for r in rows) == ["-30.00", "-90.00", "200.00"]
    [readings_only] = statement_of(client, buyer, type="readings")[1:]
    assert readings_only[5] == "-30.00"


def test_a_long_statement_read_in_batches_keeps_one_row_per_purchase(
    client, reader_page, monkeypatch
):
    monkeypatch.setattr(selectors, "_STATEMENT_BATCH", 2)
    buyer = make_client(balance=10_000)
    for minutes in (3, 2, 4):
        reading(buyer, reader_page, minutes)
    rows = statement_of(client, buyer)[1:]
    assert [row[5] for row in rows] == ["-12.00", "-6.00", "-9.00", "100.00"]
    assert [row[7] for row in rows] == ["4", "2", "3", ""]


# Query counts -------------------------------------------------------------------------------------

# A history page: user, wallet summary, pending holds, the lines' count and their page (one query
# each, whatever the minutes behind a line), the top-up's card, spending limits (none set: one),
# site, settings.
HISTORY_PAGE_QUERIES = 9


@pytest.mark.parametrize("readings", [1, 3])
def test_a_history_page_costs_the_same_queries_for_one_or_three_hour_long_readings(
    client, reader_page, readings, django_assert_num_queries
):
    buyer = make_client(balance=100_000)
    for _ in range(readings):
        reading(buyer, reader_page, 60)
    assert Transfer.objects.filter(purchase__client=buyer).count() == 60 * readings
    client.force_login(buyer)
    client.get(WALLET)  # the first request of a fresh site creates its settings row
    with django_assert_num_queries(HISTORY_PAGE_QUERIES):
        html = client.get(WALLET).content.decode()
    assert html.count('data-testid="history-line"') == readings + 1
    assert html.count("-$180.00") == readings


# The page as a person sees it ---------------------------------------------------------------------


def test_the_wallet_page_shows_a_reading_and_a_booking_as_two_readable_lines(client, reader_page):
    buyer = make_client(balance=20_000)
    purchase = purchase_of(reading(buyer, reader_page, 10))
    booking = make_booking(client=buyer)
    html = page_of(client, buyer)
    history = html[
        html.index('data-testid="history"') : html.index(
            "</ol>", html.index('data-testid="history"')
        )
    ]
    items = re.findall(r"<li>(.*?)</li>", history, re.S)
    assert len(items) == 3
    booked, read, topped = items
    assert "Booked reading with" in booked and "Reserved" in booked and "-$90.00" in booked
    assert "<details" in booked and "lock" not in booked  # the icon is drawn, not named
    assert "Chat reading with Aurora Vale" in read and "-$30.00" in read
    assert f'data-purchase="{purchase.public_id}"' in read
    assert "<summary" in read and "Show its movements" in read
    assert "Test top-up" in topped or "Top-up" in topped
    assert "<details" not in topped and "/wallet/activity/" in topped
    assert str(booking.purchase.public_id) in booked


@pytest.mark.django_db
def test_a_reader_paid_a_part_of_an_order_opens_its_receipt_and_others_do_not(client):
    from wallet import sales
    from wallet.tests.factories import fund_wallet

    buyer, luna, stranger = UserFactory(), UserFactory(reader=True), UserFactory(reader=True)
    fund_wallet(buyer, 10_000)
    order = sales.open_purchase(
        client=buyer,
        seller=None,
        kind=sales.SaleKind.ORDER,
        reference="order:receipt-part",
        description="Order: Moon deck",
    )
    sales.charge(
        order, 3_000, idempotency_key="order:receipt-part:pay", parts=[sales.Part(luna, 2_000, 70)]
    )
    url = reverse("wallet:purchase_detail", args=[order.public_id])
    client.force_login(luna)
    response = client.get(url)
    assert response.status_code == 200
    assert "$14.00" in response.content.decode()
    client.force_login(stranger)
    assert client.get(url).status_code == 404
