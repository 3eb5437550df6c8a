"""Placeholder: the inbox UI (message_views) is written beside readings.messaging."""
