"""Wagtail admin views for staff decisions; each calls a service."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from readers import services
from readers.models import ReaderApplication, Review


class DecisionForm(forms.Form):
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the application (the applicant does not see it).",
    )


class VisibilityForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200)


def decide_application(request, pk):
    if not request.user.has_perm("readers.change_readerapplication"):
        raise PermissionDenied
    application = get_object_or_404(
        ReaderApplication.objects.select_related("user").prefetch_related("specialties"), pk=pk
    )
    index_url = reverse("readers_readerapplication_modeladmin_index")
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if "approve" in request.POST:
                page = services.approve_application(application, staff_user=request.user, note=note)
                messages.success(
                    request,
                    f"{application.display_name} is now a reader; their draft page "
                    f"“{page.title}” is ready for them to edit.",
                )
            elif "reject" in request.POST:
                services.reject_application(application, staff_user=request.user, note=note)
                messages.success(request, f"{application.display_name}'s application rejected.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(index_url)
    return TemplateResponse(
        request,
        "readers/admin/decide_application.html",
        {"application": application, "form": form, "index_url": index_url},
    )


def review_visibility(request, pk):
    if not request.user.has_perm("readers.change_review"):
        raise PermissionDenied
    review = get_object_or_404(Review.objects.select_related("reader_page", "client"), pk=pk)
    index_url = reverse("readers_review_modeladmin_index")
    form = VisibilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_review_hidden(
            request.user, review, hidden=not review.is_hidden, reason=form.cleaned_data["reason"]
        )
        messages.success(request, "Review hidden." if not review.is_hidden else "Review shown.")
        return redirect(index_url)
    return TemplateResponse(
        request,
        "readers/admin/review_visibility.html",
        {"review": review, "form": form, "index_url": index_url},
    )
