"""WebSocket routes; apps add theirs here (the readings engine adds the reading room)."""

websocket_urlpatterns = []
