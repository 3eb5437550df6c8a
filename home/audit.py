"""One way to write the audit log, used by every app's services."""

from .models import AuditEvent


def record_event(action, *, actor=None, target=None, **data):
    """Write an audit row inside the caller's transaction (it rolls back with it)."""
    target_type = target_id = ""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )
