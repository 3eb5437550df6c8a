import uuid

from django.conf import settings
from django.db import models


class ReadingSession(models.Model):
    """A live reading between a client and a reader, billed per minute (first cut;
    the readings engine completes the state machine and billing)."""

    class Channel(models.TextChoices):
        CHAT = "chat", "Chat"
        VOICE = "voice", "Voice"
        VIDEO = "video", "Video"

    class State(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACCEPTED = "accepted", "Accepted"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="readings_as_client"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="readings_as_reader"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.REQUESTED, db_index=True
    )
    rate_cents = models.PositiveIntegerField()
    free_minutes = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    billed_minutes = models.PositiveIntegerField(default=0)
    total_cents = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(client=models.F("reader")), name="readings_not_self"
            ),
            models.CheckConstraint(condition=models.Q(rate_cents__gt=0), name="readings_rate_pos"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} reading {self.public_id}"
