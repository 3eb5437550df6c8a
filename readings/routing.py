"""WebSocket routes of the readings app (mounted in ``soulseer.routing``)."""

from django.urls import path

from .consumers import ReadingRoomConsumer

websocket_urlpatterns = [
    path("ws/readings/<uuid:public_id>/", ReadingRoomConsumer.as_asgi()),
]
