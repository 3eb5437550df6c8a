"""Reading pages: start, waiting, desk, room, summary, transcript, notes, media token; every
lookup scoped to the two people of the reading (404 for anyone else)."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from wagtail.models import Locale, Page, Site

from accounts.tests.factories import UserFactory
from readings import chat, services
from readings.models import ChatMessage, ReaderNote, ReadingSession
from readings.tests.factories import active_session, make_client, make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def reader_page():
    return make_reader(presence="online", chat=300, voice=400, video=500)


@pytest.fixture
def client_user():
    return make_client(balance=5000)


def url(name, session):
    return reverse(f"readings:{name}", kwargs={"public_id": session.public_id})


def requested(client_user, reader_page, channel="chat"):
    return services.request_reading(client_user, reader_page, channel)


def accepted(client_user, reader_page, channel="chat"):
    session = requested(client_user, reader_page, channel)
    services.accept(session, reader_page.user)
    return session


# Starting ---------------------------------------------------------------------------------------


def test_start_page_shows_the_price_and_balance_before_anything_starts(
    client, client_user, reader_page
):
    client.force_login(client_user)
    response = client.get(reverse("readings:start"), {"reader": reader_page.pk, "channel": "chat"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "$3.00/min" in html and "$50.00" in html
    assert not ReadingSession.objects.exists()


def test_posting_start_requests_a_reading_and_shows_the_waiting_screen(
    client, client_user, reader_page
):
    client.force_login(client_user)
    response = client.post(
        reverse("readings:start"), {"reader": reader_page.pk, "channel": "chat"}, follow=True
    )

    session = ReadingSession.objects.get()
    assert session.client == client_user and session.state == "requested"
    assert response.redirect_chain[-1][0] == url("session", session)
    html = response.content.decode()
    assert "Waiting for" in html and 'data-testid="countdown"' in html
    assert url("waiting_status", session) in html  # HTMX poll


def test_start_with_too_little_balance_explains_and_creates_nothing(client, reader_page):
    poor = make_client(balance=100)
    client.force_login(poor)
    response = client.post(reverse("readings:start"), {"reader": reader_page.pk, "channel": "chat"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "Please top up" in html and reverse("wallet:topup") in html
    assert not ReadingSession.objects.exists()


def test_start_with_an_offline_reader_or_yourself_is_refused(client, client_user):
    offline = make_reader(presence="offline")
    client.force_login(client_user)
    response = client.post(reverse("readings:start"), {"reader": offline.pk, "channel": "chat"})
    assert response.status_code == 409
    assert "offline" in response.content.decode()

    client.force_login(offline.user)
    me = client.post(reverse("readings:start"), {"reader": offline.pk, "channel": "chat"})
    assert me.status_code == 409
    assert not ReadingSession.objects.exists()


def test_start_twice_creates_one_reading(client, client_user, reader_page):
    client.force_login(client_user)
    data = {"reader": reader_page.pk, "channel": "chat"}
    client.post(reverse("readings:start"), data)
    second = client.post(reverse("readings:start"), data)

    assert second.status_code == 409
    assert ReadingSession.objects.count() == 1


def test_voice_and_video_are_refused_without_agora(client, client_user, reader_page, settings):
    settings.AGORA_APP_ID = ""
    client.force_login(client_user)
    response = client.post(
        reverse("readings:start"), {"reader": reader_page.pk, "channel": "video"}
    )

    assert response.status_code == 400
    assert not ReadingSession.objects.exists()


@pytest.mark.parametrize("agora", [False, True])
def test_the_reader_page_shows_only_the_channels_that_can_start(
    client, client_user, reader_page, settings, agora
):
    settings.AGORA_APP_ID = "0123456789abcdef0123456789abcdef" if agora else ""
    type(reader_page).objects.filter(pk=reader_page.pk).update(
        offers_voice=True, offers_video=True, presence="online"
    )
    reader_page.refresh_from_db()
    client.force_login(client_user)

    status = client.get(reverse("readers:status", args=[reader_page.pk])).content.decode()

    # The reader page's actions come in with its status fragment (the directory and the page's
    # price list: readers/tests/test_directory.py).
    assert ('data-testid="start-voice"' in status) is agora
    assert ('data-testid="start-video"' in status) is agora
    assert 'data-testid="start-chat"' in status


def test_bad_start_input_is_a_clear_400(client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("readings:start"), {"reader": "999999", "channel": "tarot"})
    assert response.status_code == 400
    assert not ReadingSession.objects.exists()


def test_starting_readings_is_rate_limited(client, client_user, reader_page):
    client.force_login(client_user)
    data = {"reader": reader_page.pk, "channel": "chat"}
    statuses = [client.post(reverse("readings:start"), data).status_code for _ in range(7)]
    assert statuses[-1] == 429
    assert ReadingSession.objects.count() == 1


def test_start_needs_login(client, reader_page):
    response = client.post(reverse("readings:start"), {"reader": reader_page.pk, "channel": "chat"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# Waiting and answering --------------------------------------------------------------------------


def test_waiting_poll_redirects_the_client_once_the_reader_accepts(
    client, client_user, reader_page
):
    session = requested(client_user, reader_page)
    client.force_login(client_user)
    poll = client.get(url("waiting_status", session), HTTP_HX_REQUEST="true")
    assert poll.status_code == 200 and "Waiting for" in poll.content.decode()

    services.accept(session, reader_page.user)
    poll = client.get(url("waiting_status", session), HTTP_HX_REQUEST="true")
    assert poll.status_code == 204 and poll["HX-Redirect"] == url("session", session)


def test_client_can_cancel_a_request(client, client_user, reader_page):
    session = requested(client_user, reader_page)
    client.force_login(client_user)
    response = client.post(url("cancel", session), follow=True)

    session.refresh_from_db()
    assert session.state == "cancelled"
    assert "You cancelled this request" in response.content.decode()


def test_reader_desk_lists_incoming_requests_and_accepting_opens_the_room(
    client, client_user, reader_page
):
    session = requested(client_user, reader_page)
    client.force_login(reader_page.user)

    desk = client.get(reverse("readings:reader_desk"))
    assert desk.status_code == 200
    assert reverse("readings:reader_incoming") in desk.content.decode()
    fragment = client.get(reverse("readings:reader_incoming"), HTTP_HX_REQUEST="true")
    assert client_user.public_name in fragment.content.decode()
    assert url("accept", session) in fragment.content.decode()

    response = client.post(url("accept", session), follow=True)
    session.refresh_from_db()
    assert session.state == "accepted"
    html = response.content.decode()
    assert 'id="reading-room"' in html and 'aria-live="polite"' in html


def test_reader_can_decline(client, client_user, reader_page):
    session = requested(client_user, reader_page)
    client.force_login(reader_page.user)
    client.post(url("decline", session))
    session.refresh_from_db()
    assert session.state == "declined"

    client.force_login(client_user)
    html = client.get(url("session", session)).content.decode()
    assert "can't take your reading" in html


def test_reader_desk_is_for_readers_only(client, client_user):
    client.force_login(client_user)
    assert client.get(reverse("readings:reader_desk")).status_code == 403


def test_reader_can_go_online_and_offline_from_the_desk(client):
    page = make_reader(presence="offline")
    client.force_login(page.user)

    client.post(reverse("readings:reader_presence"), {"presence": "online"})
    page.refresh_from_db()
    assert page.presence == "online"
    client.post(reverse("readings:reader_presence"), {"presence": "offline"})
    page.refresh_from_db()
    assert page.presence == "offline"


# Room, end, summary, transcript -----------------------------------------------------------------


def test_room_shows_chat_timer_balance_and_top_up_link(client, client_user, reader_page):
    session = accepted(client_user, reader_page)
    client.force_login(client_user)

    html = client.get(url("session", session)).content.decode()
    assert 'role="timer"' in html and 'id="room-balance"' in html
    assert f'data-ws-path="/ws/readings/{session.public_id}/"' in html
    assert reverse("wallet:topup") in html
    assert "agora-rtc-sdk-ng" not in html  # chat reading: no media SDK


def test_video_room_loads_the_vendored_agora_sdk_only_when_configured(
    client, client_user, reader_page, settings
):
    settings.AGORA_APP_ID = "0123456789abcdef0123456789abcdef"
    settings.AGORA_APP_CERTIFICATE = "fedcba9876543210fedcba9876543210"
    session = accepted(client_user, reader_page, channel="video")
    client.force_login(client_user)

    html = client.get(url("session", session)).content.decode()
    assert "/static/vendor/agora-rtc-sdk-ng.min.js" in html
    assert url("media_token", session) in html

    token = client.get(url("media_token", session))
    assert token.status_code == 200
    payload = token.json()
    assert payload["app_id"] == settings.AGORA_APP_ID
    assert payload["channel"].startswith("r-") and str(session.public_id) not in payload["channel"]
    assert payload["uid"] == 1 and payload["token"].startswith("006")


def test_media_token_is_404_for_chat_readings_and_without_agora(
    client, client_user, reader_page, settings
):
    settings.AGORA_APP_ID = "0123456789abcdef0123456789abcdef"
    session = accepted(client_user, reader_page, channel="chat")
    client.force_login(client_user)
    assert client.get(url("media_token", session)).status_code == 404


def test_ending_shows_the_summary_and_both_can_download_the_transcript(
    client, client_user, reader_page
):
    session = active_session(client_user, reader_page, free_minutes=0)
    chat.post_message(session.public_id, client_user, "Will I find a new job?")
    chat.post_message(session.public_id, reader_page.user, "I see a change in spring.")

    client.force_login(reader_page.user)
    response = client.post(url("end", session), follow=True)
    session.refresh_from_db()
    assert session.state == "ended" and session.end_reason == "reader"
    html = response.content.decode()
    assert "Reading ended" in html and url("transcript", session) in html
    assert "You earned" in html

    for user in (client_user, reader_page.user):
        client.force_login(user)
        download = client.get(url("transcript", session))
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment;")
        text = download.content.decode()
        assert "Will I find a new job?" in text and "I see a change in spring." in text
        assert client_user.public_name in text and reader_page.user.public_name in text

    client.force_login(client_user)
    summary = client.get(url("session", session)).content.decode()
    assert "Total cost" in summary and "$3.00" in summary
    assert "How was your reading?" in summary


def test_chat_after_the_end_is_refused_and_not_stored(client_user, reader_page):
    session = active_session(client_user, reader_page)
    services.end(session, client_user)

    with pytest.raises(chat.ChatRefused) as refused:
        chat.post_message(session.public_id, client_user, "Hello?")
    assert refused.value.code == "ended"
    assert not ChatMessage.objects.exists()


def test_reader_keeps_private_notes_per_client(client, client_user, reader_page):
    session = accepted(client_user, reader_page)
    client.force_login(reader_page.user)
    response = client.post(url("save_note", session), {"body": "Prefers tarot."})
    assert response.status_code == 302
    assert ReaderNote.objects.get(reader=reader_page.user, client=client_user).body == (
        "Prefers tarot."
    )
    assert "Prefers tarot." in client.get(url("session", session)).content.decode()

    client.force_login(client_user)
    assert "Prefers tarot." not in client.get(url("session", session)).content.decode()
    assert client.post(url("save_note", session), {"body": "x"}).status_code == 404


# Scoping ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("session", "get"),
        ("waiting_status", "get"),
        ("transcript", "get"),
        ("media_token", "get"),
        ("cancel", "post"),
        ("accept", "post"),
        ("decline", "post"),
        ("end", "post"),
        ("save_note", "post"),
    ],
)
def test_someone_elses_reading_is_404_everywhere(client, client_user, reader_page, name, method):
    session = accepted(client_user, reader_page)
    client.force_login(UserFactory())

    response = getattr(client, method)(url(name, session))

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.state == "accepted"


def test_another_reader_cannot_accept_someone_elses_request(client, client_user, reader_page):
    session = requested(client_user, reader_page)
    other_reader = make_reader()
    client.force_login(other_reader.user)
    assert client.post(url("accept", session)).status_code == 404
    session.refresh_from_db()
    assert session.state == "requested"


# Reader page actions ----------------------------------------------------------------------------


@pytest.fixture
def served_reader_page(reader_page):
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node()
    Site.objects.all().delete()
    Site.objects.create(hostname="testserver", port=80, root_page=root, is_default_site=True)
    return reader_page


def test_reader_page_offers_a_start_form_per_channel_with_prices(
    client, client_user, served_reader_page, settings
):
    settings.AGORA_APP_ID = "0123456789abcdef0123456789abcdef"
    client.force_login(client_user)
    html = client.get(served_reader_page.url).content.decode()

    assert html.count(f'action="{reverse("readings:start")}"') == 3
    assert "Chat now · $3.00/min" in html
    assert "Call · $4.00/min" in html and "Video call · $5.00/min" in html


def test_reader_page_hides_voice_and_video_without_agora(
    client, client_user, served_reader_page, settings
):
    settings.AGORA_APP_ID = ""
    client.force_login(client_user)
    html = client.get(served_reader_page.url).content.decode()

    assert html.count(f'action="{reverse("readings:start")}"') == 1
    assert "Chat now · $3.00/min" in html
    assert 'data-testid="start-video"' not in html and 'data-testid="start-voice"' not in html


def test_media_token_json_is_not_cached(client, client_user, reader_page, settings):
    settings.AGORA_APP_ID = "0123456789abcdef0123456789abcdef"
    settings.AGORA_APP_CERTIFICATE = "fedcba9876543210fedcba9876543210"
    session = accepted(client_user, reader_page, channel="voice")
    client.force_login(reader_page.user)
    response = client.get(url("media_token", session))
    assert response["Cache-Control"] == "private, no-store"
    assert json.loads(response.content)["uid"] == 2
