"""The reading room over WebSocket: ``ws/readings/<public_id>/``.

Who may connect: the client or the reader of that reading while it is live (accepted, active or
paused). Anyone else, or a reading that is over, is refused with close code 4403 before the
handshake completes (browsers see a failed connection; nothing about the reading is revealed).

Frames from the browser (JSON):

- ``{"type": "chat", "text": "..."}``   stored in the transcript, then sent to both sides.
- ``{"type": "typing"}``                 relayed to the other side only ("… is typing").

Frames to the browser:

- ``hello``   on connect: the reading's current facts (state, role, rate, minutes, balance).
- ``chat``    a stored message (``id``, ``sender`` "client"/"reader", ``name``, ``text``,
              ``sent_at``).
- ``typing``  the other side is typing.
- ``presence`` who is in the room (``client``/``reader`` booleans).
- ``event``   an engine event relayed as is (``event``: state, billing_tick, free_time_over,
              low_balance, ended; see ``readings.events``), plus ``topup_url`` on low balance.
- ``error``   a refused frame: ``code`` (ended, rate_limited, empty, too_long, bad_frame) and
              ``message``.

Connection presence drives the engine: when both sides are in the room an accepted reading
starts; when the last connection of one side drops an active reading pauses (reconnect grace,
nothing billed); when that side comes back a paused reading resumes.
"""

import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from . import chat, services
from .errors import ReadingError
from .models import LIVE_STATES, ReadingSession

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
# Room presence counters outlive a crashed server only this long.
PRESENCE_TTL_SECONDS = 6 * 3600


def _presence_key(public_id, role):
    return f"readings:room:{public_id}:{role}"


def _presence_add(public_id, role, delta):
    key = _presence_key(public_id, role)
    cache.add(key, 0, timeout=PRESENCE_TTL_SECONDS)
    try:
        count = cache.incr(key, delta)
    except ValueError:
        cache.add(key, 0, timeout=PRESENCE_TTL_SECONDS)
        count = cache.incr(key, delta)
    if count < 0:
        cache.set(key, 0, timeout=PRESENCE_TTL_SECONDS)
        count = 0
    return count


def room_presence(public_id):
    return {
        role: (cache.get(_presence_key(public_id, role)) or 0) > 0 for role in ("client", "reader")
    }


def served_seconds(session, now=None):
    """Seconds of served time so far (wall clock since the start minus the pauses)."""
    if not session.started_at:
        return 0
    now = now or timezone.now()
    end = session.ended_at or (session.paused_at if session.state == "paused" else None) or now
    served = end - session.started_at - session.paused_total
    return max(int(served.total_seconds()), 0)


def _call_engine(service, session, user):
    """Call an engine service for a presence change; a refusal is not an error here (the other
    side may have ended the reading a moment ago)."""
    try:
        return service(session, user)
    except ReadingError as error:
        logger.info("room: %s of %s refused: %s", service.__name__, session.public_id, error)
        return None


class ReadingRoomConsumer(AsyncJsonWebsocketConsumer):
    session_public_id = None
    role = None
    group_name = None
    joined = False

    # Connection --------------------------------------------------------------------------------

    async def connect(self):
        user = self.scope.get("user")
        public_id = self.scope["url_route"]["kwargs"]["public_id"]
        session = await database_sync_to_async(self._live_session)(public_id, user)
        if session is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self.session_public_id = session.public_id
        self.role = chat.role_of(session, user)
        self.group_name = session.group_name
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        self.joined = True
        await database_sync_to_async(self._join_room)()
        await self.send_json(await database_sync_to_async(self._hello)())
        await self._broadcast_presence()

    async def disconnect(self, code):
        if not self.joined:
            return
        self.joined = False
        await self.channel_layer.group_discard(self.group_name, self.channel_name)
        await database_sync_to_async(self._leave_room)()
        await self._broadcast_presence()

    # Frames from the browser -------------------------------------------------------------------

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "chat":
            await self._receive_chat(content.get("text"))
        elif kind == "typing":
            await self.channel_layer.group_send(
                self.group_name,
                {"type": "room.typing", "sender": self.role},
            )
        else:
            await self._error("bad_frame", "Unknown message.")

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def _receive_chat(self, text):
        if not isinstance(text, str):
            await self._error("bad_frame", "A chat message needs text.")
            return
        allowed = await database_sync_to_async(chat.chat_rate_ok)(self.user)
        if not allowed:
            await self._error("rate_limited", "You're sending messages too fast. Wait a moment.")
            return
        try:
            frame = await database_sync_to_async(self._store_message)(text)
        except chat.ChatRefused as refused:
            await self._error(refused.code, refused.message)
            return
        await self.channel_layer.group_send(self.group_name, {"type": "room.chat", "frame": frame})

    async def _error(self, code, message):
        await self.send_json({"type": "error", "code": code, "message": message})

    # Group messages ----------------------------------------------------------------------------

    async def room_chat(self, message):
        await self.send_json(message["frame"])

    async def room_typing(self, message):
        if message.get("sender") != self.role:
            await self.send_json({"type": "typing", "sender": message["sender"]})

    async def room_presence(self, message):
        await self.send_json({"type": "presence", **message["presence"]})

    async def reading_event(self, message):
        """Engine events (``readings.events``): relayed to the browser unchanged."""
        frame = {key: value for key, value in message.items() if key != "type"}
        frame["type"] = "event"
        if self.role == "client":
            if frame.get("event") == "low_balance":
                frame["topup_url"] = reverse("wallet:topup")
        else:
            # The reader sees how many minutes are left, not the client's wallet.
            frame.pop("balance_cents", None)
        await self.send_json(frame)

    async def _broadcast_presence(self):
        presence = await database_sync_to_async(room_presence)(self.session_public_id)
        await self.channel_layer.group_send(
            self.group_name, {"type": "room.presence", "presence": presence}
        )

    # Database work (sync, run in a thread) -----------------------------------------------------

    @staticmethod
    def _live_session(public_id, user):
        session = chat.participant_session(public_id, user)
        if session is None or session.state not in LIVE_STATES:
            return None
        return session

    def _store_message(self, text):
        message = chat.post_message(self.session_public_id, self.user, text)
        return chat.message_frame(message, message.session)

    def _join_room(self):
        _presence_add(self.session_public_id, self.role, 1)
        presence = room_presence(self.session_public_id)
        session = ReadingSession.objects.get(public_id=self.session_public_id)
        if not all(presence.values()):
            return
        if session.state == ReadingSession.State.ACCEPTED:
            _call_engine(services.start, session, self.user)
        elif session.state == ReadingSession.State.PAUSED:
            _call_engine(services.resume, session, self.user)

    def _leave_room(self):
        remaining = _presence_add(self.session_public_id, self.role, -1)
        if remaining > 0:
            return  # another tab of the same person is still in the room
        session = ReadingSession.objects.get(public_id=self.session_public_id)
        if session.state == ReadingSession.State.ACTIVE:
            _call_engine(services.pause, session, self.user)

    def _hello(self):
        from wallet.selectors import wallet_summary

        session = ReadingSession.objects.select_related("client", "reader").get(
            public_id=self.session_public_id
        )
        balance = wallet_summary(session.client).balance
        return {
            "served_seconds": served_seconds(session),
            "type": "hello",
            "session": str(session.public_id),
            "role": self.role,
            "state": session.state,
            "channel": session.channel,
            "rate_cents": session.rate_cents,
            "free_minutes": session.free_minutes,
            "billed_minutes": session.billed_minutes,
            "paid_minutes": getattr(session, "paid_minutes", 0),
            "total_cents": session.total_cents,
            "balance_cents": balance if self.role == "client" else None,
            "minutes_left": balance // session.rate_cents if session.rate_cents else 0,
            "started_at": session.started_at.isoformat() if session.started_at else None,
            "client_name": chat.display_name(session.client),
            "reader_name": chat.display_name(session.reader),
            "presence": room_presence(session.public_id),
        }
