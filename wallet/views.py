"""Wallet views. Thin: selectors read, services write; every query is scoped to request.user."""

import json
import uuid

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.ratelimit import rate_limit

from . import card_sales, gift_cards, payments, payouts, selectors, services
from .errors import WalletError
from .forms import (
    AutoReloadForm,
    HistoryFilterForm,
    PayoutForm,
    RedeemGiftCardForm,
    SpendingLimitForm,
    TopUpForm,
)
from .models import AutoReload, LedgerAccount, PayoutRequest, TopUp
from .money import decimal_string, format_cents

# Overview, history and spending limits (owner: wallet pages) ------------------------------------


def _limits_context(user, form=None):
    limit = selectors.spending_limit_of(user)
    now = timezone.now()
    in_force = limit.limits_at(now) if limit else dict.fromkeys(("daily", "weekly", "monthly"))
    pending = {}
    if limit and limit.pending and limit.pending_effective_at and limit.pending_effective_at > now:
        pending = limit.pending
    usage = []
    spent = {}
    if any(value is not None for value in in_force.values()):
        wallet = LedgerAccount.objects.filter(
            owner=user, kind=LedgerAccount.Kind.CLIENT_WALLET
        ).first()
        if wallet is not None:
            spent = services.spending_in_windows(wallet.pk, now=now)
    pending_summary = []
    periods = (
        ("daily", "Last 24 hours", "per day"),
        ("weekly", "Last 7 days", "per 7 days"),
        ("monthly", "Last 30 days", "per 30 days"),
    )
    for period, label, per in periods:
        if period in pending:
            value = pending[period]
            pending_summary.append(
                f"no limit {per}" if value is None else f"{format_cents(value)} {per}"
            )
        cap = in_force[period]
        used = spent.get(period, 0)
        usage.append(
            {
                "period": period,
                "label": label,
                "limit": cap,
                "spent": used,
                "percent": min(100, round(used * 100 / cap)) if cap else 0,
                "pending": period in pending,
                "pending_value": pending.get(period),
            }
        )
    if form is None:
        initial = {
            period: (None if value is None else decimal_string(value))
            for period, value in in_force.items()
        }
        form = SpendingLimitForm(initial=initial)
    return {
        "limit_form": form,
        "limit_usage": usage,
        "has_limits": any(row["limit"] is not None for row in usage),
        "pending_limits": bool(pending),
        "pending_summary": pending_summary,
        "pending_effective_at": limit.pending_effective_at if pending else None,
        "increase_delay_hours": int(
            services.spending_limit_increase_delay().total_seconds() // 3600
        ),
    }


def _history_context(request):
    form = HistoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.history_line_entries(
        request.user,
        category=filters.get("type", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(entries, selectors.HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "filter_form": form,
        "page_obj": page,
        "lines": selectors.history_lines(page.object_list),
        "is_filtered": bool(
            filters.get("type") or filters.get("date_from") or filters.get("date_to")
        ),
    }


def _render_overview(request, *, limit_form=None, status=200):
    context = {
        "summary": selectors.wallet_summary(request.user, request),
        "holds": list(selectors.pending_holds(request.user)[:10]),
        "topup_url": reverse("wallet:topup"),
        "is_reader": getattr(request.user, "is_reader", False),
        **_history_context(request),
        **_limits_context(request.user, limit_form),
    }
    return render(request, "wallet/wallet.html", context, status=status)


@login_required
def overview(request):
    """The wallet page; an HTMX request for the history list gets just that list."""
    if getattr(request, "htmx", False) and request.htmx.target == "wallet-history":
        response = render(request, "wallet/_history.html", _history_context(request))
    else:
        response = _render_overview(request)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming ``csv.writer``."""

    def write(self, value):
        return value


@login_required
def statement_csv(request):
    """The wallet history as a CSV file, with the page's filters (type, dates)."""
    import csv

    from django.http import StreamingHttpResponse

    form = HistoryFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        problems = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponse(
            f"These filters cannot make a statement: {problems}",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filters = form.cleaned_data if form.is_bound else {}
    entries = selectors.history_line_entries(
        request.user,
        category=filters.get("type", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    writer = csv.writer(_Echo())
    zone = timezone.get_current_timezone()

    def body():
        yield writer.writerow(selectors.STATEMENT_COLUMNS)
        for row in selectors.statement_rows(entries, zone):
            yield writer.writerow(row)

    response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="soulseer-statement-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def update_spending_limits(request):
    form = SpendingLimitForm(request.POST)
    if not form.is_valid():
        return _render_overview(request, limit_form=form, status=400)
    try:
        limit = services.set_spending_limits(request.user, **form.cents())
    except WalletError as error:
        form.add_error(None, str(error))
        return _render_overview(request, limit_form=form, status=400)
    if limit.delayed:
        when = timezone.localtime(limit.pending_effective_at).strftime("%b %-d at %-I:%M %p")
        messages.info(
            request,
            f"Lower limits apply now. Higher or removed limits take effect on {when}, "
            "a cooling-off period that protects you.",
        )
    elif limit.applied_now:
        messages.success(request, "Your spending limits are saved and apply now.")
    else:
        messages.info(request, "Nothing changed in your spending limits.")
    return redirect(reverse("wallet:overview") + "#limits")


@login_required
def transfer_detail(request, public_id):
    """A receipt for one movement of the user's own money (404 for anyone else's)."""
    transfer = selectors.user_transfer(request.user, public_id)
    if transfer is None:
        raise Http404("No such transaction in your wallet.")
    entries = [
        entry
        for entry in transfer.entries.select_related("account")
        if entry.account.owner_id == request.user.pk
        and entry.account.kind
        in (LedgerAccount.Kind.CLIENT_WALLET, LedgerAccount.Kind.READER_EARNINGS)
    ]
    lines = selectors.history_lines(entries)
    return render(
        request,
        "wallet/transfer_detail.html",
        {
            "transfer": transfer,
            "lines": lines,
            "summary": selectors.wallet_summary(request.user, request),
        },
    )


def _purchase_or_404(request, public_id):
    purchase = selectors.user_purchase(request.user, public_id)
    if purchase is None:
        raise Http404("No such purchase in your wallet.")
    return purchase


@login_required
def purchase_detail(request, public_id):
    """A receipt for one purchase (a reading and its minutes, a booking and its reservation):
    its client's or its seller's own, 404 for anyone else."""
    purchase = _purchase_or_404(request, public_id)
    receipt = selectors.purchase_receipt(request.user, purchase)
    page = Paginator(
        selectors.purchase_movements(request.user, purchase), selectors.RECEIPT_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "wallet/purchase_detail.html",
        {
            "receipt": receipt,
            "purchase": purchase,
            "page_obj": page,
            "lines": selectors.receipt_lines(page.object_list, as_seller=receipt.as_seller),
        },
    )


@login_required
def purchase_movements(request, public_id):
    """A history line opened in place (HTMX): the purchase's first movements, and the way to
    its receipt for the rest."""
    purchase = _purchase_or_404(request, public_id)
    lines, more = selectors.purchase_preview(request.user, purchase)
    return render(
        request,
        "wallet/_purchase_movements.html",
        {"purchase": purchase, "lines": lines, "more": more},
    )


# Top-ups, saved cards, auto-reload and payouts (owner: Stripe flows) ----------------------------
# Money arrives only through the verified webhook; these views start payments and show progress.


def _per_user(prefix):
    return lambda request: f"{prefix}:{request.user.pk}"


def _json_limited(request):
    return JsonResponse(
        {"error": "Too many attempts. Please wait a few minutes and try again."}, status=429
    )


def _page_limited(request):
    messages.error(request, "Too many top-up attempts. Please wait a few minutes and try again.")
    return redirect("wallet:topup")


def _balance_of(user):
    account = LedgerAccount.objects.filter(
        owner=user, kind=LedgerAccount.Kind.CLIENT_WALLET, currency=services.ledger_currency()
    ).first()
    return account.balance if account else 0


def _topup_form(user, cards, data=None):
    return TopUpForm(
        data,
        cards=cards,
        presets=django_settings.WALLET_TOPUP_PRESETS_CENTS,
        bounds=payments.top_up_bounds(),
    )


def _redeem_limited(request):
    messages.error(request, "Too many gift card codes tried. Please wait an hour and try again.")
    return redirect("wallet:redeem")


@login_required
@rate_limit(
    key=_per_user("wallet-gift-card"), limit=10, window_seconds=3600, on_limited=_redeem_limited
)
def redeem(request):
    """Redeem a gift card's code into the wallet. Codes are 79 random bits; the limit (ten
    tries an hour per person) is there so nobody can try codes at volume."""
    form = RedeemGiftCardForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                card = gift_cards.redeem(request.user, form.cleaned_data["code"])
            except WalletError as error:
                form.add_error("code", str(error))
                status = 400
            else:
                messages.success(request, f"{format_cents(card.amount)} was added to your wallet.")
                return redirect("wallet:overview")
        else:
            status = 400
    return render(request, "wallet/redeem.html", {"form": form}, status=status)


@login_required
@rate_limit(key=_per_user("wallet-topup"), limit=10, window_seconds=600, on_limited=_page_limited)
def topup(request):
    """Choose an amount and a card (or add one with Stripe.js), then charge it."""
    cards = card_sales.saved_card_summaries(request.user)
    form = _topup_form(request.user, cards, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                top_up = payments.start_top_up(
                    request.user,
                    form.cleaned_data["amount_cents"],
                    form.cleaned_data["payment_method"],
                )
            except WalletError as error:
                form.add_error(None, str(error))
                status = 400
            else:
                return redirect("wallet:topup_status", public_id=top_up.public_id)
        else:
            status = 400
    low, high = payments.top_up_bounds()
    context = {
        "form": form,
        "cards": cards,
        "balance": _balance_of(request.user),
        "min_cents": low,
        "max_cents": high,
        "recent_top_ups": TopUp.objects.filter(user=request.user)[:5],
        "auto_reload": AutoReload.objects.filter(user=request.user).first(),
        **card_sales.stripe_js_context(),
    }
    return render(request, "wallet/topup.html", context, status=status)


@login_required
def topup_status(request, public_id):
    """The top-up's progress; the HTMX panel polls until the webhook has credited the wallet."""
    top_up = get_object_or_404(TopUp, public_id=public_id, user=request.user)
    context = {
        "top_up": top_up,
        "balance": _balance_of(request.user),
        "client_secret": payments.client_secret_for(top_up),
        **card_sales.stripe_js_context(),
    }
    if getattr(request, "htmx", False):
        return render(request, "wallet/topup_status_panel.html", context)
    return render(request, "wallet/topup_status.html", context)


@login_required
@require_POST
@rate_limit(
    key=_per_user("wallet-card-setup"), limit=10, window_seconds=600, on_limited=_json_limited
)
def card_setup(request):
    """Start saving a card: a SetupIntent whose client secret the browser confirms."""
    try:
        setup = payments.start_card_setup(request.user)
    except WalletError as error:
        return JsonResponse({"error": str(error)}, status=503)
    return JsonResponse({"client_secret": setup["client_secret"]})


@login_required
@require_POST
def card_save(request):
    """Mirror the card a confirmed SetupIntent collected; answers with its id for the form."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = {}
    try:
        card = payments.save_card_from_setup(request.user, body.get("setup_intent"))
    except PermissionError as error:
        raise Http404("No such card setup.") from error
    except WalletError as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"payment_method": card.id, "card": payments.card_summary(card)})


@login_required
def cards(request):
    context = {
        "cards": card_sales.saved_card_summaries(request.user),
        "auto_reload": AutoReload.objects.filter(user=request.user).first(),
        **card_sales.stripe_js_context(),
    }
    return render(request, "wallet/cards.html", context)


@login_required
@require_POST
def card_remove(request, payment_method_id):
    card = get_object_or_404(payments.saved_cards(request.user), id=payment_method_id)
    try:
        payments.remove_card(request.user, card)
    except WalletError as error:
        messages.error(request, str(error))
    else:
        summary = payments.card_summary(card)
        messages.success(request, f"{summary['brand']} ending {summary['last4']} was removed.")
    return redirect("wallet:cards")


@login_required
def autoreload(request):
    cards_ = card_sales.saved_card_summaries(request.user)
    setting = AutoReload.objects.filter(user=request.user).first()
    form_kwargs = {
        "cards": cards_,
        "bounds": payments.top_up_bounds(),
        "max_per_day": django_settings.WALLET_AUTO_RELOAD_MAX_PER_DAY,
    }
    status = 200
    if request.method == "POST":
        form = AutoReloadForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payments.configure_auto_reload(
                    request.user,
                    enabled=data["enabled"],
                    threshold=data["threshold"],
                    amount=data["amount"],
                    payment_method_id=data["payment_method"],
                    daily_limit=data["daily_limit"],
                )
            except WalletError as error:
                form.add_error(None, str(error))
                status = 400
            else:
                messages.success(
                    request,
                    "Auto-reload is on." if data["enabled"] else "Auto-reload is off.",
                )
                return redirect("wallet:autoreload")
        else:
            status = 400
    else:
        initial = {"threshold": "5.00", "amount": "25.00", "daily_limit": 2}
        if setting:
            initial = {
                "enabled": setting.enabled,
                "threshold": decimal_string(setting.threshold),
                "amount": decimal_string(setting.amount),
                "payment_method": setting.payment_method_id,
                "daily_limit": setting.daily_limit,
            }
        form = AutoReloadForm(initial=initial, **form_kwargs)
    context = {"form": form, "cards": cards_, "setting": setting}
    return render(request, "wallet/autoreload.html", context, status=status)


@role_required("reader")
@rate_limit(key=_per_user("wallet-payout"), limit=10, window_seconds=3600)
def payout(request):
    """A reader's payout account status, a payout request form and recent payouts."""
    account = payouts.account_of(request.user)
    earnings = services.earnings_of(request.user)
    minimum = payouts.payout_minimum()
    status = 200
    if request.method == "POST":
        form = PayoutForm(request.POST, minimum=minimum, available=earnings.balance)
        if form.is_valid():
            try:
                result = payouts.request_payout(
                    request.user,
                    form.cleaned_data["amount"],
                    request_id=form.cleaned_data["request_id"],
                )
            except WalletError as error:
                form.add_error(None, str(error))
                status = 400
            else:
                if result.status == PayoutRequest.Status.PAID:
                    messages.success(request, "Your payout is on its way to your bank.")
                elif result.status == PayoutRequest.Status.FAILED:
                    messages.error(request, f"The payout failed: {result.failure_message}")
                else:
                    messages.info(request, result.failure_message or "Your payout is queued.")
                return redirect("wallet:payout")
        else:
            status = 400
    else:
        form = PayoutForm(
            initial={"request_id": uuid.uuid4()}, minimum=minimum, available=earnings.balance
        )
    earnings.refresh_from_db()
    context = {
        "account": account,
        "form": form,
        "available": earnings.balance,
        "minimum": minimum,
        "payouts": PayoutRequest.objects.filter(user=request.user)[:20],
    }
    return render(request, "wallet/payout.html", context, status=status)


@role_required("reader")
@require_POST
def payout_onboard(request):
    try:
        url = payouts.start_onboarding(
            request.user,
            refresh_url=request.build_absolute_uri(reverse("wallet:payout_onboard_refresh")),
            return_url=request.build_absolute_uri(reverse("wallet:payout_return")),
        )
    except WalletError as error:
        messages.error(request, str(error))
        return redirect("wallet:payout")
    return redirect(url)


@role_required("reader")
def payout_return(request):
    """Stripe sends the reader back here after onboarding: mirror the account's status."""
    try:
        account = payouts.refresh_account(request.user)
    except WalletError as error:
        messages.error(request, str(error))
    else:
        if account and account.ready:
            messages.success(request, "Your payout account is ready.")
        elif account:
            messages.info(request, "Stripe still needs a few details before you can be paid.")
    return redirect("wallet:payout")


@role_required("reader")
def payout_onboard_refresh(request):
    """An expired onboarding link: show the payouts page with the button to get a fresh one."""
    messages.info(request, "That setup link expired. Continue setting up payouts below.")
    return redirect("wallet:payout")
