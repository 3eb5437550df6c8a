"""Placeholder: the inbox UI (message_selectors) is written beside readings.messaging."""
