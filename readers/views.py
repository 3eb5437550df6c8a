from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from home.http import redirect_for
from readers import selectors, services
from readers.forms import ReaderApplicationForm, ReplyForm, ReviewForm
from readers.models import ReaderApplication, ReaderPage, Review

MAX_STATUS_IDS = 60


def _error_text(error):
    return " ".join(error.messages)


def _private(response, seconds=0):
    """Fragments carry per-user data (favorites): never shared caches."""
    patch_cache_control(response, private=True, max_age=seconds)
    patch_vary_headers(response, ["Cookie"])
    return response


@require_GET
def reader_status(request, page_id):
    """Presence, current prices, the favorite heart and the start / "notify me when free"
    actions (with the visitor's place in the reader's line) for one reader page (HTMX
    fragment)."""
    from readings.selectors import QUEUE_PAGE_FIELDS, queue_panel_context

    page = get_object_or_404(ReaderPage.objects.live().only(*QUEUE_PAGE_FIELDS), pk=page_id)
    context = {
        "reader": page,
        "is_favorite": bool(selectors.favorite_page_ids(request.user, [page.pk])),
        **queue_panel_context(request.user, page),
    }
    # Someone in line is polled faster by the queue panel itself; this copy must not go stale.
    seconds = 0 if context["queue"].entry is not None else 15
    return _private(render(request, "readers/_reader_status.html", context), seconds=seconds)


@require_GET
def directory_status(request):
    """Presence badges and hearts for the cards of one directory page, as out-of-band swaps."""
    ids = []
    for raw in request.GET.get("ids", "").split(",")[:MAX_STATUS_IDS]:
        if raw.strip().isdigit():
            ids.append(int(raw))
    readers = ReaderPage.objects.live().filter(pk__in=ids).only("id", "presence", "display_name")
    favorites = selectors.favorite_page_ids(request.user, ids)
    context = {"readers": readers, "favorites": favorites}
    return _private(render(request, "readers/_directory_status.html", context), seconds=15)


@require_POST
def favorite_toggle(request, page_id):
    page = get_object_or_404(ReaderPage.objects.live(), pk=page_id)
    if not request.user.is_authenticated:
        return redirect_for(request, f"{reverse('accounts:login')}?next={page.url}")
    is_favorite = services.toggle_favorite(request.user, page)
    if request.htmx:
        context = {"reader": page, "is_favorite": is_favorite, "announce": True}
        return _private(render(request, "readers/_favorite_button.html", context))
    messages.success(
        request,
        f"{page.display_name} {'added to' if is_favorite else 'removed from'} My readers.",
    )
    return redirect(request.POST.get("next") if _safe_next(request) else page.url)


def _safe_next(request):
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@login_required
@require_POST
def favorite_notifications(request, page_id):
    page = get_object_or_404(ReaderPage.objects.live(), pk=page_id)
    enabled = request.POST.get("enabled") == "1"
    services.set_favorite_notifications(request.user, page, enabled)
    messages.success(
        request,
        f"We'll tell you when {page.display_name} comes online."
        if enabled
        else f"Online alerts for {page.display_name} are off.",
    )
    return redirect("readers:my_readers")


@login_required
def my_readers(request):
    favorites = selectors.my_favorites(request.user)
    notifications = list(request.user.notifications.all()[:10])
    unread = [n for n in notifications if n.read_at is None]
    response = render(
        request,
        "readers/my_readers.html",
        {"favorites": favorites, "notifications": notifications, "unread_count": len(unread)},
    )
    if unread:
        services.mark_notifications_read(request.user)
    return response


@login_required
def apply(request):
    pending = ReaderApplication.objects.filter(
        user=request.user, status=ReaderApplication.Status.PENDING
    ).first()
    if request.user.is_reader:
        return redirect("readers:dashboard")
    form = ReaderApplicationForm(request.POST or None)
    if request.method == "POST" and pending is None and form.is_valid():
        data = dict(form.cleaned_data)
        specialties = data.pop("specialties")
        try:
            services.submit_application(request.user, specialties=specialties, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Thank you! Your application is with our team.")
            return redirect("readers:apply")
    last = ReaderApplication.objects.filter(user=request.user).first()
    return render(request, "readers/apply.html", {"form": form, "pending": pending, "last": last})


@login_required
def dashboard(request):
    """A reader's home: profile status, reviews to answer and the payout account."""
    page = ReaderPage.objects.filter(user=request.user).first()
    if page is None:
        return redirect("readers:apply")
    from wallet.models import PayoutAccount
    from wallet.selectors import earnings_report

    payout_account = PayoutAccount.objects.filter(user=request.user).first()
    try:
        payout_url = reverse("wallet:payout")
    except NoReverseMatch:
        payout_url = ""
    reviews = list(
        Review.objects.filter(reader_page=page, is_hidden=False).select_related("client")[:10]
    )
    workflow_state = page.current_workflow_state
    context = {
        "reader_page": page,
        "earnings": earnings_report(request.user),
        "payout_account": payout_account,
        "payout_url": payout_url,
        "reviews": reviews,
        "in_moderation": workflow_state is not None and workflow_state.is_active,
        "edit_url": reverse("wagtailadmin_pages:edit", args=[page.pk]),
        "reply_form": ReplyForm(),
    }
    return render(request, "readers/dashboard.html", context)


@login_required
def review_create(request, reading_id):
    from readings.models import ReadingSession

    reading = get_object_or_404(
        ReadingSession.objects.select_related("reader"),
        public_id=reading_id,
        client=request.user,
    )
    page = ReaderPage.objects.filter(user_id=reading.reader_id).first()
    if hasattr(reading, "review"):
        messages.info(request, "You have already reviewed this reading.")
        return redirect(page.url if page and page.live else "readers:my_readers")
    form = ReviewForm(request.POST or None)
    refusal = ""
    try:
        services.check_review_allowed(request.user, reading)
    except ValidationError as error:
        refusal = _error_text(error)
    status = 200
    if request.method == "POST" and not refusal:
        if form.is_valid():
            try:
                services.create_review(request.user, reading, **form.cleaned_data)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    refusal = _error_text(error)
            else:
                messages.success(request, "Thank you, your review is live.")
                # Back to the reading's summary, which now shows the review.
                return redirect(
                    reverse("readings:session", kwargs={"public_id": reading.public_id}) + "#review"
                )
        status = 400
    if request.method == "POST" and refusal:
        status = 400
    context = {"form": form, "reading": reading, "reader_page": page, "refusal": refusal}
    return render(request, "readers/review_form.html", context, status=status)


@login_required
@require_POST
def review_reply(request, review_id):
    review = get_object_or_404(Review, pk=review_id, reader_page__user=request.user)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply_to_review(request.user, review, form.cleaned_data["reply"])
        except (ValidationError, PermissionDenied) as error:
            messages.error(
                request, _error_text(error) if hasattr(error, "messages") else str(error)
            )
        else:
            messages.success(request, "Your reply is published.")
    else:
        messages.error(request, "Write a reply (up to 2000 characters).")
    return redirect("readers:dashboard")
