"""One way to write the audit log, used by every app's services, and every action it records.

Action names read ``<subject>.<what happened>``: the subject a singular noun (``reading``,
``booking``, ``queue``, ``message``, ``block``, ``reader``, ``review``, ``wallet``, ``order``,
``product``, ``forum``, ``report``, ``account``), what happened in the past tense or as the
state reached (``reading.accepted``, ``wallet.top_up_credited``)."""

from django.db import models

from .models import AuditEvent


class Action(models.TextChoices):
    READING_REQUESTED = "reading.requested"
    READING_ACCEPTED = "reading.accepted"
    READING_ACTIVE = "reading.active"
    READING_PAUSED = "reading.paused"
    READING_ENDED = "reading.ended"
    READING_DECLINED = "reading.declined"
    READING_CANCELLED = "reading.cancelled"
    READING_EXPIRED = "reading.expired"

    BOOKING_REQUESTED = "booking.requested"
    BOOKING_ACCEPTED = "booking.accepted"
    BOOKING_DECLINED = "booking.declined"
    BOOKING_CANCELLED = "booking.cancelled"
    BOOKING_EXPIRED = "booking.expired"
    BOOKING_JOINED = "booking.joined"
    BOOKING_IN_PROGRESS = "booking.in_progress"
    BOOKING_COMPLETED = "booking.completed"
    BOOKING_NO_SHOW_CLIENT = "booking.no_show_client"
    BOOKING_NO_SHOW_READER = "booking.no_show_reader"

    QUEUE_JOINED = "queue.joined"

    MESSAGE_OFFER_SAVED = "message.offer_saved"
    MESSAGE_OFFER_RETIRED = "message.offer_retired"
    MESSAGE_ASKED = "message.asked"
    MESSAGE_REPLIED = "message.replied"
    MESSAGE_EXPIRED = "message.expired"
    MESSAGE_CANCELLED = "message.cancelled"
    MESSAGE_HELD = "message.held"
    MESSAGE_CLEARED = "message.cleared"
    MESSAGE_REMOVED = "message.removed"

    BLOCK_ADDED = "block.added"
    BLOCK_LIFTED = "block.lifted"

    READER_PRESENCE_CHANGED = "reader.presence_changed"
    READER_PRESENCE_LAPSED = "reader.presence_lapsed"
    READER_APPLICATION_SUBMITTED = "reader.application_submitted"
    READER_APPLICATION_APPROVED = "reader.application_approved"
    READER_APPLICATION_REJECTED = "reader.application_rejected"
    READER_PROVISIONED = "reader.provisioned"

    REVIEW_CREATED = "review.created"
    REVIEW_REPLIED = "review.replied"
    REVIEW_HIDDEN = "review.hidden"
    REVIEW_SHOWN = "review.shown"

    ORDER_PLACED = "order.placed"
    ORDER_PAID = "order.paid"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_FULFILLED = "order.fulfilled"
    ORDER_REFUNDED = "order.refunded"
    ORDER_DOWNLOADED = "order.downloaded"

    FORUM_THREAD_STARTED = "forum.thread_started"
    FORUM_POSTED = "forum.posted"
    FORUM_AUTO_HIDDEN = "forum.auto_hidden"
    REPORT_FILED = "report.filed"
    REPORT_RESOLVED = "report.resolved"
    ACCOUNT_WARNED = "account.warned"
    ACCOUNT_SUSPENDED = "account.suspended"
    ACCOUNT_REINSTATED = "account.reinstated"
    ACCOUNT_BANNED = "account.banned"

    PRODUCT_STOCK_CHANGED = "product.stock_changed"
    PRODUCT_STRIPE_SYNCED = "product.stripe_synced"
    PRODUCT_STRIPE_FLAGGED = "product.stripe_flagged"
    PRODUCT_STRIPE_FLAG_CLEARED = "product.stripe_flag_cleared"

    WALLET_SALE_CHARGED = "wallet.sale_charged"
    WALLET_SALE_CAPTURED = "wallet.sale_captured"
    WALLET_SALE_REFUNDED = "wallet.sale_refunded"
    WALLET_GIFT_CARD_REDEEMED = "wallet.gift_card_redeemed"
    WALLET_TOP_UP_CREDITED = "wallet.top_up_credited"
    WALLET_TOP_UP_REJECTED = "wallet.top_up_rejected"
    WALLET_TOP_UP_FLAGGED = "wallet.top_up_flagged"
    WALLET_CARD_SALE_REFUNDING = "wallet.card_sale_refunding"
    WALLET_REFUND_CREATED = "wallet.refund_created"
    WALLET_REFUND_DEBITED = "wallet.refund_debited"
    WALLET_DISPUTE_DEBITED = "wallet.dispute_debited"
    WALLET_DISPUTE_WON_CREDITED = "wallet.dispute_won_credited"
    WALLET_TRANSFER_REVERSED = "wallet.transfer_reversed"
    WALLET_SATISFACTION_CREDIT_GRANTED = "wallet.satisfaction_credit_granted"
    WALLET_SPENDING_LIMITS_CHANGED = "wallet.spending_limits_changed"
    WALLET_CARD_SAVED = "wallet.card_saved"
    WALLET_CARD_REMOVED = "wallet.card_removed"
    WALLET_AUTO_RELOAD_CONFIGURED = "wallet.auto_reload_configured"
    WALLET_AUTO_RELOAD_FAILED = "wallet.auto_reload_failed"
    WALLET_PAYOUT_ACCOUNT_CREATED = "wallet.payout_account_created"
    WALLET_PAYOUT_REQUESTED = "wallet.payout_requested"
    WALLET_PAYOUT_SENT = "wallet.payout_sent"
    WALLET_PAYOUT_FAILED = "wallet.payout_failed"


def record_event(action, *, actor=None, target=None, **data):
    """Write an audit row inside the caller's transaction (it rolls back with it). ``action``
    is an ``Action`` (or its value); any other name is a programming error (``ValueError``)."""
    action = Action(action)
    target_type = target_id = ""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action.value,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )
