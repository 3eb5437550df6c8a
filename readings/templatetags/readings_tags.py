from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def duration_clock(seconds):
    """``754`` -> ``12:34``; an hour or more -> ``1:02:03``."""
    try:
        seconds = max(int(seconds), 0)
    except (TypeError, ValueError):
        return "0:00"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


@register.filter
def seconds_until(moment):
    """Whole seconds from now until ``moment`` (0 when past or missing)."""
    if not moment:
        return 0
    return max(int((moment - timezone.now()).total_seconds()), 0)


@register.simple_tag
def reading_channels(page):
    """The ``(channel, label, rate_cents)`` a reader page offers and this site can start."""
    return page.rates
