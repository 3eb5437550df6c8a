"""Wallet views. Thin: selectors read, services write; every query is scoped to request.user."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from . import selectors, services
from .errors import WalletError
from .forms import HistoryFilterForm, SpendingLimitForm
from .models import LedgerAccount

# Overview, history and spending limits (owner: wallet pages) ------------------------------------


def _optional_url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


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
    for period, label in (
        ("daily", "Today"),
        ("weekly", "Last 7 days"),
        ("monthly", "Last 30 days"),
    ):
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
            period: (None if value is None else f"{value / 100:.2f}")
            for period, value in in_force.items()
        }
        form = SpendingLimitForm(initial=initial)
    return {
        "limit_form": form,
        "limit_usage": usage,
        "has_limits": any(row["limit"] is not None for row in usage),
        "pending_limits": bool(pending),
        "pending_effective_at": limit.pending_effective_at if pending else None,
        "increase_delay_hours": int(
            services.spending_limit_increase_delay().total_seconds() // 3600
        ),
    }


def _history_context(request):
    form = HistoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.history_entries(
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
        "topup_url": _optional_url("wallet:topup"),
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
