"""Forms of the forum's pages: they read what the browser sends; the rules (length, locked
threads, rate limits) are the services'."""

from django import forms

from accounts.forms import StyledFormMixin

from .models import MAX_POST_CHARS, MAX_TITLE_CHARS, Report


class PostForm(StyledFormMixin, forms.Form):
    body = forms.CharField(
        label="Your post",
        max_length=MAX_POST_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown works: **bold**, *italic*, > quote, - lists, [links](https://…).",
        error_messages={"required": "Write something first: the post is empty."},
    )
    quote = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class ThreadForm(PostForm):
    title = forms.CharField(
        label="Title",
        max_length=MAX_TITLE_CHARS,
        min_length=3,
        error_messages={"required": "Give the thread a title."},
    )
    field_order = ["title", "body"]


class ReportForm(StyledFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong?",
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you are reporting this."},
    )
    details = forms.CharField(
        label="Anything our moderators should know",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()
