"""The inbox's pages through the services: asking for a paid message reading from a reader's
page, the reader's paid reply, free follow-ups, read receipts, held messages, blocking; every
view's role check and every id of someone else's thread, request or file answered with 404;
bad input says why and charges nothing."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse

from readings import messaging
from readings.models import Message, MessageAttachment, MessageRequest, MessageThread
from readings.rules import db_now
from readings.tests.message_helpers import (
    PRICE,
    answered_thread,
    ask,
    logged_in,
    make_client,
    not_an_image,
    pdf,
    png,
    reader_with_offer,
)
from wallet.selectors import wallet_summary

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def thread_url(thread):
    return reverse("readings:message_thread", args=[thread.public_id])


def new_url(page):
    return reverse("readings:message_new", args=[page.pk])


def ask_form(offer, body="Will I find a new job soon?", **extra):
    return {"offer": offer.pk, "body": body, "idempotency_key": uuid.uuid4().hex, **extra}


# Asking from the reader's page ------------------------------------------------------------------


def test_the_new_message_page_shows_the_offers_prices_reply_times_and_the_balance():
    page, offer = reader_with_offer()
    messaging.save_offer(page.user, title="Rush reading", price_cents=4_500, reply_hours=4)
    client = make_client(balance=3_000)

    body = logged_in(client).get(new_url(page)).content.decode()

    assert "24-hour reading" in body and "$20.00" in body and "Reply within 24 hours" in body
    assert "Rush reading" in body and "$45.00" in body and "Reply within 4 hours" in body
    assert "$30.00" in body  # the balance


def test_asking_reserves_the_price_and_opens_the_thread_with_its_deadline():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    web = logged_in(client)

    response = web.post(new_url(page), ask_form(offer))

    thread = MessageThread.objects.get(client=client, reader=page.user)
    assert response.status_code == 302 and response["Location"] == thread_url(thread)
    summary = wallet_summary(client)
    assert (summary.balance, summary.reserved) == (3_000, PRICE)
    body = web.get(thread_url(thread)).content.decode()
    assert "Will I find a new job soon?" in body
    assert 'data-testid="request-deadline"' in body
    assert "is reserved in your wallet, not charged" in body


def test_the_same_ask_form_sent_twice_reserves_once():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    web = logged_in(client)
    form = ask_form(offer)

    web.post(new_url(page), form)
    again = web.post(new_url(page), form)

    assert again.status_code == 302
    assert MessageRequest.objects.filter(thread__client=client).count() == 1
    assert wallet_summary(client).reserved == PRICE


def test_too_little_balance_says_so_with_a_top_up_link_and_reserves_nothing():
    page, offer = reader_with_offer()
    client = make_client(balance=500)

    response = logged_in(client).post(new_url(page), ask_form(offer))

    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-testid="ask-error"' in body and "Top up" in body
    assert reverse("wallet:topup") in body and "Nothing was charged" in body
    assert wallet_summary(client).reserved == 0
    assert not MessageRequest.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": ""}, "Write your message first."),
        ({"body": "x" * 5001}, "under 5,000 characters"),
        ({"offer": ""}, "Choose one of the readings first."),
        ({"offer": "999999"}, "no longer offered"),
    ],
)
def test_bad_questions_are_refused_beside_the_field_and_charge_nothing(change, message):
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)

    response = logged_in(client).post(new_url(page), {**ask_form(offer), **change})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert wallet_summary(client).reserved == 0
    assert not MessageRequest.objects.exists()


def test_a_file_that_only_looks_like_an_image_is_refused_by_its_content():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)

    response = logged_in(client).post(
        new_url(page), {**ask_form(offer), "attachments": [not_an_image()]}
    )

    assert response.status_code == 400
    assert "photo.jpg" in response.content.decode()
    assert "this file is none of those" in response.content.decode()
    assert wallet_summary(client).reserved == 0
    assert not MessageAttachment.objects.exists()


def test_too_many_files_are_refused_and_charge_nothing(settings):
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    files = [png(f"p{i}.png") for i in range(settings.MESSAGE_ATTACHMENTS_PER_MESSAGE + 1)]

    response = logged_in(client).post(new_url(page), {**ask_form(offer), "attachments": files})

    assert response.status_code == 400
    assert "Attach at most 3 files" in response.content.decode()
    assert wallet_summary(client).reserved == 0


def test_a_question_that_shares_contact_details_is_held_and_its_sender_is_told():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    web = logged_in(client)

    response = web.post(
        new_url(page), ask_form(offer, body="Email me at luna.fan@example.com please"), follow=True
    )

    body = response.content.decode()
    assert "held until our team checks it" in body
    assert 'data-testid="held-note"' in body
    assert "Held for review — our team checks messages that share contact details" in body


def test_a_reader_with_no_offers_has_no_form_to_send():
    page, offer = reader_with_offer()
    messaging.retire_offer(page.user, offer)

    body = logged_in(make_client(balance=5_000)).get(new_url(page)).content.decode()

    assert "No message readings right now" in body
    assert 'data-testid="ask-form"' not in body


def test_a_reader_on_their_own_new_message_page_is_sent_to_their_offers():
    page, _offer = reader_with_offer()

    response = logged_in(page.user).post(new_url(page), {"body": "Hi"})

    assert "This is your own page" in response.content.decode()
    assert not MessageRequest.objects.exists()


def test_a_second_question_while_one_waits_links_to_the_conversation():
    page, offer = reader_with_offer()
    client = make_client(balance=10_000)
    request = ask(client, page, offer)

    body = logged_in(client).get(new_url(page)).content.decode()

    assert 'data-testid="already-waiting"' in body
    assert thread_url(request.thread) in body


# The reader's reply, follow-ups -----------------------------------------------------------------


def test_the_reader_replies_in_place_and_the_reservation_is_captured():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    request = ask(client, page, offer)
    web = logged_in(page.user)
    assert 'data-testid="compose"' in web.get(thread_url(request.thread)).content.decode()

    response = web.post(
        reverse("readings:message_reply", args=[request.thread.public_id]),
        {"request": str(request.public_id), "body": "Yes, by the spring."},
        **HTMX,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Yes, by the spring." in body and 'id="thread-live"' in body
    request.refresh_from_db()
    assert request.state == MessageRequest.State.ANSWERED
    assert wallet_summary(client).reserved == 0 and wallet_summary(client).balance == 3_000
    assert wallet_summary(page.user).earnings > 0


def test_an_empty_reply_says_so_in_place_and_captures_nothing():
    page, offer = reader_with_offer()
    request = ask(make_client(balance=5_000), page, offer)

    response = logged_in(page.user).post(
        reverse("readings:message_reply", args=[request.thread.public_id]),
        {"request": str(request.public_id), "body": "  "},
        **HTMX,
    )

    assert response.status_code == 200  # swapped in place by HTMX
    assert "Write your message first." in response.content.decode()
    request.refresh_from_db()
    assert request.state == MessageRequest.State.AWAITING


def test_after_the_reply_the_client_writes_a_free_follow_up_until_the_window_closes():
    page, _offer, client, request = answered_thread()
    web = logged_in(client)
    thread = request.thread

    page_body = web.get(thread_url(thread)).content.decode()
    assert 'data-testid="follow-up-window"' in page_body

    response = web.post(
        reverse("readings:message_send", args=[thread.public_id]),
        {"body": "Thank you! Which month?"},
        **HTMX,
    )
    assert response.status_code == 200 and "Thank you! Which month?" in response.content.decode()
    assert wallet_summary(client).balance == 10_000 - PRICE  # the follow-up was free


def test_once_follow_ups_close_the_client_is_offered_another_reading_and_cannot_send():
    page, offer, client, request = answered_thread()
    MessageThread.objects.filter(pk=request.thread_id).update(
        follow_ups_until=db_now() - timedelta(minutes=1)
    )
    web = logged_in(client)

    body = web.get(thread_url(request.thread)).content.decode()
    assert 'data-testid="ask-again"' in body
    assert f"{new_url(page)}?offer={offer.pk}" in body

    refused = web.post(
        reverse("readings:message_send", args=[request.thread.public_id]), {"body": "One more?"}
    )
    assert refused.status_code == 409
    assert "Ask for a paid message reading" in refused.content.decode()
    assert not Message.objects.filter(body="One more?").exists()


def test_a_reader_sends_a_free_message_with_a_pdf_that_the_client_can_download():
    page, _offer, client, request = answered_thread()
    reader_web = logged_in(page.user)

    reader_web.post(
        reverse("readings:message_send", args=[request.thread.public_id]),
        {"body": "Your chart is attached.", "attachments": [pdf()]},
    )

    attachment = MessageAttachment.objects.get()
    body = logged_in(client).get(thread_url(request.thread)).content.decode()
    url = reverse("readings:message_attachment", args=[attachment.public_id])
    assert url in body and 'data-testid="attachment-file"' in body
    file = logged_in(client).get(url)
    assert file.status_code == 200
    assert file["Content-Type"] == "application/pdf"
    assert file["Content-Disposition"].startswith("attachment")
    assert "no-store" in file["Cache-Control"] and "private" in file["Cache-Control"]
    assert b"".join(file.streaming_content).startswith(b"%PDF-")


def test_images_show_inline_through_the_attachment_view():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    request = ask(client, page, offer, attachments=[png()])
    attachment = MessageAttachment.objects.get(message__request=request)
    url = reverse("readings:message_attachment", args=[attachment.public_id])

    body = logged_in(page.user).get(thread_url(request.thread)).content.decode()
    assert f'src="{url}"' in body

    file = logged_in(page.user).get(url)
    assert file.status_code == 200 and file["Content-Type"] == "image/png"
    assert file["Content-Disposition"].startswith("inline")


# Read receipts, unread counts -------------------------------------------------------------------


def test_opening_the_thread_marks_it_read_and_the_sender_sees_read():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    request = ask(client, page, offer)
    client_web = logged_in(client)
    assert (
        'data-testid="read-receipt"'
        not in client_web.get(thread_url(request.thread)).content.decode()
    )

    logged_in(page.user).get(thread_url(request.thread))

    request.thread.refresh_from_db()
    assert request.thread.reader_read_at is not None
    body = client_web.get(thread_url(request.thread)).content.decode()
    assert 'data-testid="read-receipt"' in body


def test_the_inbox_counts_unread_messages_per_thread_and_the_header_in_total():
    page, offer = reader_with_offer()
    other_page, other_offer = reader_with_offer()
    client = make_client(balance=10_000)
    for target, target_offer in ((page, offer), (other_page, other_offer)):
        request = ask(client, target, target_offer)
        messaging.reply(target.user, request, "Here is your reading.")
    messaging.send(page.user, request_thread(client, page), "And one more thing.")

    web = logged_in(client)
    body = web.get(reverse("readings:message_inbox")).content.decode()
    assert body.count('data-testid="inbox-unread"') == 2
    badge = web.get(reverse("readings:message_unread_badge")).content.decode()
    assert 'aria-label="Inbox: 3 unread messages"' in badge
    assert 'hx-swap-oob="true"' in badge

    web.get(thread_url(request_thread(client, page)))
    badge = web.get(reverse("readings:message_unread_badge")).content.decode()
    assert 'aria-label="Inbox: 1 unread message"' in badge


def request_thread(client, page):
    return MessageThread.objects.get(client=client, reader=page.user)


def test_the_headers_inbox_link_is_only_for_signed_in_people(client):
    page, _offer = reader_with_offer()

    anonymous = client.get(reverse("accounts:login")).content.decode()
    assert "inbox-link" not in anonymous and "message_unread" not in anonymous

    signed_in = logged_in(make_client()).get(reverse("readings:bookings")).content.decode()
    for variant in ("desktop", "mobile", "menu"):
        assert f'data-testid="inbox-link-{variant}"' in signed_in
    assert reverse("readings:message_unread_badge") in signed_in


def test_the_badge_fragment_is_empty_for_a_signed_out_visitor(client):
    response = client.get(reverse("readings:message_unread_badge"))
    assert response.status_code == 204


def test_the_thread_poll_answers_204_until_something_changes():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    request = ask(client, page, offer)
    web = logged_in(client)
    first = web.get(thread_url(request.thread))
    version = first.context["version"]
    mode = first.context["mode_key"]
    poll = f"{thread_url(request.thread)}?v={version}&mode={mode}"

    assert web.get(poll, **HTMX).status_code == 204

    messaging.reply(page.user, request, "Yes, soon.")
    changed = web.get(poll, **HTMX)
    assert changed.status_code == 200
    body = changed.content.decode()
    assert "Yes, soon." in body
    # The box changed too (the follow-up window opened): swapped out of band.
    assert 'id="thread-actions"' in body and 'hx-swap-oob="true"' in body
    assert "Send follow-up" in body


# Held messages ----------------------------------------------------------------------------------


def test_a_held_message_and_its_file_exist_only_for_its_sender():
    page, _offer, client, request = answered_thread()
    thread = request.thread
    message = messaging.send(
        client, thread, "Call me on +44 7700 900123 instead", attachments=[png("me.png")]
    )
    assert message.review == Message.Review.HELD
    attachment = message.attachments.get()
    file_url = reverse("readings:message_attachment", args=[attachment.public_id])

    mine = logged_in(client).get(thread_url(thread)).content.decode()
    assert "+44 7700 900123" in mine and 'data-testid="held-note"' in mine
    assert logged_in(client).get(file_url).status_code == 200

    reader_web = logged_in(page.user)
    theirs = reader_web.get(thread_url(thread)).content.decode()
    assert "+44 7700 900123" not in theirs and file_url not in theirs
    inbox = reader_web.get(reverse("readings:message_inbox")).content.decode()
    assert "+44 7700 900123" not in inbox
    searched = reader_web.get(reverse("readings:message_inbox"), {"q": "7700"}).content.decode()
    assert 'data-testid="inbox-no-match"' in searched
    assert reader_web.get(file_url).status_code == 404


# Role checks and ids that are not yours ---------------------------------------------------------


def test_every_inbox_page_sends_a_visitor_to_log_in(client):
    page, offer = reader_with_offer()
    request = ask(make_client(balance=5_000), page, offer)
    thread = request.thread
    urls = [
        reverse("readings:message_inbox"),
        reverse("readings:message_offers"),
        reverse("readings:message_desk"),
        new_url(page),
        thread_url(thread),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    for name in ("message_send", "message_reply", "message_block", "message_unblock"):
        response = client.post(reverse(f"readings:{name}", args=[thread.public_id]), {})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_another_persons_thread_request_and_file_are_404():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    request = ask(client, page, offer, attachments=[png()])
    thread = request.thread
    attachment = MessageAttachment.objects.get()
    other_page, other_offer = reader_with_offer()
    outsider = make_client(balance=5_000)
    ask(outsider, other_page, other_offer)
    for stranger in (outsider, other_page.user):
        web = logged_in(stranger)
        assert web.get(thread_url(thread)).status_code == 404
        assert (
            web.get(reverse("readings:message_attachment", args=[attachment.public_id])).status_code
            == 404
        )
        for name in ("message_send", "message_block", "message_unblock"):
            response = web.post(reverse(f"readings:{name}", args=[thread.public_id]), {"body": "x"})
            assert response.status_code == 404, name
    # Another reader names this request from a thread of their own: 404, nothing captured.
    own_thread = MessageThread.objects.get(reader=other_page.user)
    response = logged_in(other_page.user).post(
        reverse("readings:message_reply", args=[own_thread.public_id]),
        {"request": str(request.public_id), "body": "Mine now"},
    )
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.state == MessageRequest.State.AWAITING
    assert not Message.objects.filter(body="Mine now").exists()


def test_a_client_cannot_post_a_paid_reply_nor_edit_offers():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    request = ask(client, page, offer)
    web = logged_in(client)

    reply = web.post(
        reverse("readings:message_reply", args=[request.thread.public_id]),
        {"request": str(request.public_id), "body": "I answer myself"},
    )
    assert reply.status_code == 403
    assert web.get(reverse("readings:message_offers")).status_code == 403
    assert web.get(reverse("readings:message_desk")).status_code == 403
    request.refresh_from_db()
    assert request.state == MessageRequest.State.AWAITING


def test_an_unknown_attachment_or_thread_is_404():
    web = logged_in(make_client())
    missing = uuid.uuid4()
    assert web.get(reverse("readings:message_thread", args=[missing])).status_code == 404
    assert web.get(reverse("readings:message_attachment", args=[missing])).status_code == 404


# Blocking ---------------------------------------------------------------------------------------


def test_blocking_releases_the_reservation_and_closes_the_box_until_unblocked():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    request = ask(client, page, offer)
    web = logged_in(client)

    web.post(reverse("readings:message_block", args=[request.thread.public_id]))

    assert wallet_summary(client).reserved == 0
    body = web.get(thread_url(request.thread)).content.decode()
    assert 'data-testid="blocked"' in body and 'data-testid="unblock"' in body
    reader_body = logged_in(page.user).get(thread_url(request.thread)).content.decode()
    assert "is not taking messages" in reader_body and 'data-testid="compose"' not in reader_body
    again = web.post(new_url(page), ask_form(offer))
    assert again.status_code == 409 and "Unblock them first" in again.content.decode()

    web.post(reverse("readings:message_unblock", args=[request.thread.public_id]))
    assert 'data-testid="blocked"' not in web.get(thread_url(request.thread)).content.decode()


# Rate limits ------------------------------------------------------------------------------------


def test_sending_is_rate_limited_and_the_refused_post_sends_nothing():
    from readings.message_views import SEND_POSTS_PER_MINUTE

    page, _offer, _client, request = answered_thread()
    web = logged_in(page.user)
    url = reverse("readings:message_send", args=[request.thread.public_id])
    for number in range(SEND_POSTS_PER_MINUTE):
        assert web.post(url, {"body": f"note {number}"}, **HTMX).status_code == 200

    refused = web.post(url, {"body": "one too many"}, **HTMX)

    assert refused.status_code == 429
    assert "Wait a minute" in refused.content.decode()
    assert not Message.objects.filter(body="one too many").exists()
