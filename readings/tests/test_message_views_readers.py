"""The reader's side of message readings: the offers editor within the staff's limits, the box
on their public page (only when they offer some, never to someone blocked), and their desk's
waiting questions with deadlines and missed count."""

from datetime import timedelta

import pytest
from django.urls import reverse

from readings import messaging
from readings.models import MessageOffer, MessageRequest
from readings.rules import db_now
from readings.tests.message_helpers import (
    ask,
    logged_in,
    make_client,
    make_reader,
    reader_with_offer,
)

pytestmark = pytest.mark.django_db

OFFERS = "readings:message_offers"


def add(web, **fields):
    data = {"action": "add", "title": "Rush reading", "price": "45", "reply_hours": "4", **fields}
    return web.post(reverse(OFFERS), data)


# The offers editor ------------------------------------------------------------------------------


def test_a_reader_adds_an_offer_and_it_is_listed_with_its_price_and_reply_time():
    reader = make_reader().user
    web = logged_in(reader)

    response = add(web)

    assert response.status_code == 302
    offer = MessageOffer.objects.get(reader=reader)
    assert (offer.title, offer.price_cents, offer.reply_hours, offer.active) == (
        "Rush reading",
        4_500,
        4,
        True,
    )
    body = web.get(reverse(OFFERS)).content.decode()
    assert "Rush reading" in body and "$45.00" in body and "Reply within 4 hours" in body


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"price": "1"}, "Set a price from $5.00 to $200.00."),
        ({"price": "500"}, "Set a price from $5.00 to $200.00."),
        ({"reply_hours": "500"}, "Promise a reply within"),
        ({"price": "abc"}, "Enter a price in dollars"),
        ({"price": "12.345"}, "whole cents"),
        ({"title": ""}, "Give the reading a name"),
        ({"reply_hours": "0"}, "At least one hour."),
    ],
)
def test_offers_outside_the_staff_limits_are_refused_with_a_clear_message(fields, message):
    reader = make_reader().user

    response = add(logged_in(reader), **fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not MessageOffer.objects.filter(reader=reader).exists()


def test_the_editor_names_the_staff_limits():
    body = logged_in(make_reader().user).get(reverse(OFFERS)).content.decode()
    assert "Between $5.00 and $200.00." in body


def test_retiring_an_offer_takes_it_off_the_page_and_another_readers_offer_is_404():
    page, offer = reader_with_offer()
    web = logged_in(page.user)

    response = web.post(reverse(OFFERS), {"action": "retire", "offer": offer.pk})

    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.active is False
    other, others_offer = reader_with_offer()
    refused = web.post(reverse(OFFERS), {"action": "retire", "offer": others_offer.pk})
    assert refused.status_code == 404
    others_offer.refresh_from_db()
    assert others_offer.active is True


# The reader's public page -----------------------------------------------------------------------


def box(web, page):
    response = web.get(reverse("readings:message_reader_offers", args=[page.pk]))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    return response.content.decode()


def test_the_reader_page_loads_the_message_box_as_a_fragment():
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    page, _offer = reader_with_offer()
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = render_to_string(
        "readers/reader_page.html", {"page": page, "reviews": []}, request=request
    )
    assert reverse("readings:message_reader_offers", args=[page.pk]) in html
    assert 'hx-trigger="load"' in html


def test_the_message_box_shows_the_offers_prices_to_clients_and_a_log_in_link_to_visitors(client):
    page, _offer = reader_with_offer()
    messaging.save_offer(page.user, title="Rush reading", price_cents=4_500, reply_hours=4)

    signed_in = box(logged_in(make_client()), page)
    assert 'data-testid="send-message-reading"' in signed_in
    assert "from $20.00" in signed_in and "$45.00" in signed_in
    assert reverse("readings:message_new", args=[page.pk]) in signed_in

    anonymous = box(client, page)
    assert (
        "/accounts/login/?next=" in anonymous and 'data-testid="send-message-reading"' in anonymous
    )


def test_no_button_for_a_reader_without_offers_nor_between_people_who_blocked(client):
    page = make_reader()
    assert "send-message-reading" not in box(client, page)

    page, _offer = reader_with_offer()
    blocked = make_client()
    messaging.block(page.user, blocked)
    assert "send-message-reading" not in box(logged_in(blocked), page)


def test_the_reader_sees_a_link_to_their_offers_on_their_own_page():
    page, _offer = reader_with_offer()
    html = box(logged_in(page.user), page)
    assert 'data-testid="message-reading-own"' in html and reverse(OFFERS) in html
    assert "send-message-reading" not in html


# The desk ---------------------------------------------------------------------------------------


def test_the_desk_lists_waiting_questions_by_deadline_and_the_missed_count():
    page, offer = reader_with_offer()
    rush = messaging.save_offer(page.user, title="Rush reading", price_cents=4_500, reply_hours=4)
    first = ask(make_client(balance=5_000), page, offer)
    soon = ask(make_client(balance=5_000), page, rush)
    missed = ask(make_client(balance=5_000), page, offer)
    MessageRequest.objects.filter(pk=missed.pk).update(deadline=db_now() - timedelta(seconds=1))
    messaging.expire_due()
    web = logged_in(page.user)

    assert (
        reverse("readings:message_desk")
        in web.get(reverse("readings:reader_desk")).content.decode()
    )
    card = web.get(reverse("readings:message_desk")).content.decode()

    assert "2 questions to answer" in card
    assert card.index(soon.thread.client.public_name) < card.index(first.thread.client.public_name)
    assert "Reply by" in card
    assert 'data-testid="desk-missed"' in card and "<strong>1</strong> question expired" in card


def named_client(name):
    client = make_client(balance=5_000)
    client.display_name = name
    client.save(update_fields=["display_name"])
    return client


def test_the_readers_inbox_puts_questions_to_answer_first_by_deadline():
    page, offer = reader_with_offer()
    rush = messaging.save_offer(page.user, title="Rush reading", price_cents=4_500, reply_hours=4)
    # Names of their own: the order is read from where each name first appears on the page.
    answered_client, later_client, sooner_client = (
        named_client(name) for name in ("Answered Ann", "Later Lou", "Sooner Sam")
    )
    done = ask(answered_client, page, offer)
    messaging.reply(page.user, done, "Answered already.")
    later = ask(later_client, page, offer)
    sooner = ask(sooner_client, page, rush)
    messaging.send(page.user, done.thread, "A newer message in an answered thread.")

    body = logged_in(page.user).get(reverse("readings:message_inbox")).content.decode()

    names = [r.thread.client.public_name for r in (sooner, later, done)]
    positions = [body.index(name) for name in names]
    assert positions == sorted(positions)
    assert body.count('data-testid="inbox-deadline"') == 2
    assert "Reply by" in body


def test_inbox_search_finds_threads_by_what_was_said_and_by_the_other_persons_name():
    page, offer = reader_with_offer(name="Luna Vale")
    other, other_offer = reader_with_offer(name="Orion Sky")
    client = make_client(balance=10_000)
    ask(client, page, offer, body="Is my garden going to thrive?")
    ask(client, other, other_offer, body="What about my career?")
    web = logged_in(client)
    inbox = reverse("readings:message_inbox")

    by_text = web.get(inbox, {"q": "garden"}).content.decode()
    assert "Luna Vale" in by_text and "Orion Sky" not in by_text
    by_name = web.get(inbox, {"q": "orion"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-results")
    assert "Orion Sky" in by_name.content.decode()
    assert "Luna Vale" not in by_name.content.decode()
    assert "<html" not in by_name.content.decode()  # the results fragment only
