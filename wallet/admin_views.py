"""Staff actions in Wagtail admin (URLs registered in wagtail_hooks, behind admin access)."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from home.templatetags.soulseer_tags import cents

from . import services
from .errors import WalletError
from .forms import SatisfactionCreditForm
from .models import Transfer


def satisfaction_credit(request, transfer_id):
    """Give a client part of a reading back as wallet credit (``grant_satisfaction_credit``)."""
    if not request.user.has_perm("wallet.grant_satisfaction_credit"):
        raise PermissionDenied
    reading = get_object_or_404(Transfer, pk=transfer_id, kind=Transfer.Kind.READING)
    inspect_url = reverse("wallet_transfer_modeladmin_inspect", args=[reading.pk])
    try:
        summary = services.reading_credit_summary(reading)
    except WalletError as error:
        messages.error(request, str(error))
        return redirect(inspect_url)
    form = SatisfactionCreditForm(
        request.POST or None,
        remaining=summary["remaining"],
        initial={"request_key": uuid.uuid4()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            credit = services.grant_satisfaction_credit(
                reading,
                form.cleaned_data["amount"],
                staff_user=request.user,
                reason=form.cleaned_data["reason"],
                request_key=str(form.cleaned_data["request_key"]),
            )
        except WalletError as error:
            form.add_error(None, str(error))
        else:
            clawback = credit.metadata.get("reader_clawback", 0)
            messages.success(
                request,
                f"Credited {cents(form.cleaned_data['amount'])} to "
                f"{summary['client']}'s wallet (reader gave back "
                f"{cents(clawback)}, the platform covered the rest).",
            )
            return redirect(inspect_url)
    return TemplateResponse(
        request,
        "wallet/admin/satisfaction_credit.html",
        {
            "reading": reading,
            "summary": summary,
            "form": form,
            "inspect_url": inspect_url,
            "reader_share_percent": int(services.satisfaction_credit_reader_share() * 100),
        },
    )
