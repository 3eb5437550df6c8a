"""Placeholder: the inbox UI (message_forms) is written beside readings.messaging."""
