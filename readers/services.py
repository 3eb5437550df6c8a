"""Every state change of the readers app: provisioning, onboarding, reviews, favorites.

Each function validates, owns its transaction, writes an audit event and sends mail only after
commit. Views, admin views and the demo loader call these; nothing else writes these models.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from accounts.models import User
from home.audit import record_event
from readers.models import (
    Favorite,
    Notification,
    ReaderApplication,
    ReaderIndexPage,
    ReaderPage,
    Review,
)

REVIEW_MIN_PAID_MINUTES = 5
ONLINE_NOTIFICATION_INTERVAL = timedelta(hours=6)
READER_GROUP_PREFIX = "Reader: "
READERS_COLLECTION = "Readers"


# --- provisioning ---------------------------------------------------------------------------


def _reader_name(user, page):
    return page.display_name or user.public_name


def reader_collection(name):
    """The collection ``Readers/<name>``, created if missing."""
    root = Collection.get_first_root_node()
    parent = root.get_children().filter(name=READERS_COLLECTION).first()
    if parent is None:
        parent = root.add_child(name=READERS_COLLECTION)
    collection = parent.get_children().filter(name=name).first()
    if collection is None:
        collection = parent.add_child(name=name)
    return collection


@transaction.atomic
def provision_reader(user, page):
    """Give ``user`` Wagtail access to edit ``page`` (and only it) and their own image collection.

    Keeps the recipe from notes/wagtail-reader-permissions.md: one group per reader with admin
    access, ``change`` on this page only (no add/publish: edits go through the moderation
    workflow), ``add_image`` + ``choose_image`` on ``Readers/<name>``. Idempotent.
    """
    name = _reader_name(user, page)
    group, _created = Group.objects.get_or_create(name=f"{READER_GROUP_PREFIX}{name}"[:150])
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    change_page = Permission.objects.get(
        content_type__app_label="wagtailcore", codename="change_page"
    )
    GroupPagePermission.objects.get_or_create(group=group, page=page, permission=change_page)
    collection = reader_collection(name)
    for codename in ("add_image", "choose_image"):
        permission = Permission.objects.get(
            content_type__app_label="wagtailimages", codename=codename
        )
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=collection, permission=permission
        )
    user.groups.add(group)
    changed = []
    if user.role != User.Role.READER and not user.is_superuser:
        user.role = User.Role.READER
        changed.append("role")
    if changed:
        user.save(update_fields=changed)
    page_fields = {}
    if page.user_id != user.pk:
        page_fields["user"] = user
    if page.owner_id != user.pk:
        page_fields["owner"] = user
    if page_fields:
        ReaderPage.objects.filter(pk=page.pk).update(**page_fields)
        for field, value in page_fields.items():
            setattr(page, field, value)
    record_event("reader.provisioned", target=page, user_id=user.pk, group=group.name)
    return group


def is_reader_editor(user):
    """A reader editing through their per-reader group (as opposed to staff)."""
    if not user.is_authenticated or user.is_superuser:
        return False
    if getattr(user, "role", None) == User.Role.READER:
        return True
    return user.groups.filter(name__startswith=READER_GROUP_PREFIX).exists()


# --- onboarding -----------------------------------------------------------------------------


def submit_application(user, *, specialties, **fields):
    """Record a reader application. One pending application per user; consent is required."""
    if not fields.get("id_check_consent"):
        raise ValidationError({"id_check_consent": "We need your consent to check your ID."})
    if user.role == User.Role.READER:
        raise ValidationError("You are already a SoulSeer reader.")
    try:
        with transaction.atomic():
            application = ReaderApplication.objects.create(user=user, **fields)
            application.specialties.set(specialties)
            record_event("reader.application_submitted", actor=user, target=application)
    except IntegrityError:
        raise ValidationError(
            "You already have an application waiting for review. We'll email you soon."
        ) from None
    return application


def _unique_slug(index, base):
    slug = slugify(base)[:60] or "reader"
    candidate, n = slug, 2
    while index.get_children().filter(slug=candidate).exists():
        candidate = f"{slug}-{n}"
        n += 1
    return candidate


def approve_application(application, *, staff_user, note=""):
    """Approve: the applicant becomes a reader with a draft ReaderPage they can edit."""
    with transaction.atomic():
        application = ReaderApplication.objects.select_for_update().get(pk=application.pk)
        if application.status != ReaderApplication.Status.PENDING:
            raise ValidationError("This application has already been decided.")
        index = ReaderIndexPage.objects.first()
        if index is None:
            raise ValidationError("Create the reader directory page first.")
        user = application.user
        page = ReaderPage(
            title=application.display_name,
            slug=_unique_slug(index, application.display_name),
            display_name=application.display_name,
            years_experience=application.years_experience,
            languages=application.languages,
            live=False,
            owner=user,
            user=user,
        )
        # Set before add_child: a ParentalManyToManyField is written when the page is saved.
        page.specialties.set(application.specialties.all())
        index.add_child(instance=page)
        page.save_revision(user=staff_user, log_action=True)
        provision_reader(user, page)
        application.status = ReaderApplication.Status.APPROVED
        application.decided_at = timezone.now()
        application.decided_by = staff_user
        application.decision_note = note
        application.reader_page = page
        application.save()
        record_event("reader.application_approved", actor=staff_user, target=application)
        transaction.on_commit(
            lambda: send_mail(
                "Welcome to SoulSeer: your reader profile is ready",
                "Your application was approved. Log in to the SoulSeer admin to finish your "
                "profile; our team reviews each change before it goes live.",
                None,
                [user.email],
                fail_silently=True,
            )
        )
    return page


def reject_application(application, *, staff_user, note=""):
    with transaction.atomic():
        application = ReaderApplication.objects.select_for_update().get(pk=application.pk)
        if application.status != ReaderApplication.Status.PENDING:
            raise ValidationError("This application has already been decided.")
        application.status = ReaderApplication.Status.REJECTED
        application.decided_at = timezone.now()
        application.decided_by = staff_user
        application.decision_note = note
        application.save()
        record_event("reader.application_rejected", actor=staff_user, target=application)
    return application


# --- reviews --------------------------------------------------------------------------------


def paid_minutes(reading):
    """Minutes the client paid for (the engine tracks them; older rows: billed minus free)."""
    if hasattr(reading, "paid_minutes"):
        return reading.paid_minutes
    return max(0, reading.billed_minutes - reading.free_minutes)


def recompute_rating(page_id):
    """Set the page's rating aggregate from its visible reviews. Caller holds the page row lock."""
    aggregate = Review.objects.filter(reader_page_id=page_id, is_hidden=False).aggregate(
        average=Avg("rating"), count=Count("id")
    )
    average = Decimal(aggregate["average"] or 0).quantize(Decimal("0.01"), ROUND_HALF_UP)
    ReaderPage.objects.filter(pk=page_id).update(
        rating_average=average, rating_count=aggregate["count"]
    )
    return average, aggregate["count"]


def _lock_page(page_id):
    # Serialises every change to one reader's reviews so the aggregate is computed from a
    # consistent set: two concurrent reviews cannot both read the old count.
    return ReaderPage.objects.select_for_update().only("pk").get(pk=page_id)


def qualifies_for_review(reading):
    """The review rule: the reading ended after ``REVIEW_MIN_PAID_MINUTES`` paid minutes or more."""
    from readings.models import ReadingSession

    return (
        reading.state == ReadingSession.State.ENDED
        and paid_minutes(reading) >= REVIEW_MIN_PAID_MINUTES
    )


def check_review_allowed(client, reading):
    """The reader page ``client`` may review for ``reading``, or a ValidationError saying why."""
    if reading is None or reading.client_id != client.pk:
        raise ValidationError("You can only review your own readings.")
    if not qualifies_for_review(reading):
        raise ValidationError(
            f"You can review a reader after a completed reading of at least "
            f"{REVIEW_MIN_PAID_MINUTES} paid minutes."
        )
    if Review.objects.filter(reading=reading).exists():
        raise ValidationError("You have already reviewed this reading.")
    page = ReaderPage.objects.filter(user_id=reading.reader_id).first()
    if page is None:
        raise ValidationError("This reader no longer has a profile.")
    return page


@dataclass(frozen=True)
class ReviewStatus:
    """Where ``reading`` stands for a review: written (``review``), open (``can_review``) or
    closed for the ``reason`` given (what the summary page tells the client)."""

    review: Review | None = None
    can_review: bool = False
    reason: str = ""


def review_status(client, reading):
    review = Review.objects.filter(reading=reading).first()
    if review is not None:
        return ReviewStatus(review=review)
    try:
        check_review_allowed(client, reading)
    except ValidationError as error:
        return ReviewStatus(reason=" ".join(error.messages))
    return ReviewStatus(can_review=True)


def create_review(client, reading, *, rating, text):
    """A client reviews a reader after an ended reading with >= 5 paid minutes, once per reading."""
    errors = {}
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        errors["rating"] = "Choose between 1 and 5 stars."
    text = (text or "").strip()
    if len(text) < 10:
        errors["text"] = "Tell other clients a little about your reading (10 characters or more)."
    elif len(text) > 2000:
        errors["text"] = "Please keep your review under 2000 characters."
    page = check_review_allowed(client, reading)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            _lock_page(page.pk)
            review = Review.objects.create(
                reading=reading, reader_page=page, client=client, rating=rating, text=text
            )
            recompute_rating(page.pk)
            record_event("review.created", actor=client, target=review, rating=rating)
    except IntegrityError:
        raise ValidationError("You have already reviewed this reading.") from None
    return review


def reply_to_review(reader_user, review, text):
    """The reviewed reader answers once, publicly."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"reply": "Write a reply first."})
    if len(text) > 2000:
        raise ValidationError({"reply": "Please keep your reply under 2000 characters."})
    with transaction.atomic():
        review = Review.objects.select_for_update().select_related("reader_page").get(pk=review.pk)
        if review.reader_page.user_id != reader_user.pk:
            raise PermissionDenied("Only the reviewed reader can reply.")
        if review.reply:
            raise ValidationError("You have already replied to this review.")
        review.reply = text
        review.replied_at = timezone.now()
        review.save(update_fields=["reply", "replied_at"])
        record_event("review.replied", actor=reader_user, target=review)
    return review


def set_review_hidden(staff_user, review, *, hidden=True, reason=""):
    """Staff hide (or show again) a review; the rating aggregate follows."""
    if not staff_user.has_perm("readers.change_review"):
        raise PermissionDenied("Only staff can hide reviews.")
    with transaction.atomic():
        _lock_page(review.reader_page_id)
        review = Review.objects.select_for_update().get(pk=review.pk)
        review.is_hidden = hidden
        review.hidden_reason = reason[:200] if hidden else ""
        review.save(update_fields=["is_hidden", "hidden_reason"])
        recompute_rating(review.reader_page_id)
        record_event(
            "review.hidden" if hidden else "review.shown",
            actor=staff_user,
            target=review,
            reason=reason,
        )
    return review


# --- favorites and notifications -----------------------------------------------------------


def toggle_favorite(client, page):
    """Add or remove a reader from the client's "My readers". Returns True when now a favorite."""
    with transaction.atomic():
        deleted, _ = Favorite.objects.filter(client=client, reader_page=page).delete()
        if deleted:
            return False
        Favorite.objects.get_or_create(client=client, reader_page=page)
    return True


def set_favorite_notifications(client, page, enabled):
    return Favorite.objects.filter(client=client, reader_page=page).update(
        notify_when_online=enabled
    )


def notify_favorites_online(reader_page):
    """Tell clients who favourited ``reader_page`` that the reader is online (in-app + email).

    At most once per 6 hours per (client, reader): the rows to notify are claimed with one
    conditional UPDATE, so two presence events at once cannot both notify.
    """
    now = timezone.now()
    cutoff = now - ONLINE_NOTIFICATION_INTERVAL
    name = reader_page.display_name or reader_page.title
    url = reader_page.url or ""
    with transaction.atomic():
        claimed = list(
            Favorite.objects.select_for_update(skip_locked=True)
            .filter(reader_page=reader_page, notify_when_online=True)
            .exclude(last_notified_at__gt=cutoff)
            .select_related("client")
        )
        if not claimed:
            return 0
        Favorite.objects.filter(pk__in=[f.pk for f in claimed]).update(last_notified_at=now)
        Notification.objects.bulk_create(
            [
                Notification(
                    user=favorite.client,
                    kind=Notification.Kind.READER_ONLINE,
                    title=f"{name} is online now",
                    url=url,
                )
                for favorite in claimed
            ]
        )
        emails = [f.client.email for f in claimed if f.client.email]

        def send():
            for email in emails:
                send_mail(
                    f"{name} is online on SoulSeer",
                    f"{name}, one of your readers, is online now. Start a reading: "
                    f"{reader_page.full_url or url}\n\nYou get this at most once every 6 hours "
                    "per reader. Turn it off under My readers.",
                    None,
                    [email],
                    fail_silently=True,
                )

        transaction.on_commit(send)
    return len(claimed)


def mark_notifications_read(user):
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())
