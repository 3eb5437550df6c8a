"""WebSocket routes; apps add theirs here (the readings engine adds the reading room)."""

from readings.routing import websocket_urlpatterns as readings_websocket_urlpatterns

websocket_urlpatterns = [*readings_websocket_urlpatterns]
