"""The forum's pages: the boards, a board's threads (and a new thread), a thread's posts (and a
reply, a quote, reactions, following it) and search. Views are thin: what may be posted is
decided by ``community.services``; a thread is found by its ``public_id`` on a board the
visitor may see, else 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import reports, selectors, services
from .errors import ForumError
from .forms import PostForm, ReportForm, ThreadForm
from .models import Reaction


@require_GET
def index(request):
    return render(
        request, "community/index.html", {"boards": selectors.boards_overview(request.user)}
    )


@require_http_methods(["GET", "POST"])
def board(request, slug):
    board = selectors.board(request.user, slug)
    form, status = ThreadForm(), 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        form = ThreadForm(request.POST)
        if form.is_valid():
            try:
                thread = services.start_thread(
                    request.user, board, form.cleaned_data["title"], form.cleaned_data["body"]
                )
            except ForumError as refused:
                form.add_error(None, str(refused))
                status = refused.status
            else:
                messages.success(request, "Your thread is up.")
                return redirect("community:thread", public_id=thread.public_id)
        else:
            status = 400
    page = Paginator(selectors.board_threads(board), settings.FORUM_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"board": board, "page_obj": page, "threads": page, "form": form}
    return render(request, "community/board.html", context, status=status)


@require_http_methods(["GET", "POST"])
def thread(request, public_id):
    thread = selectors.thread(request.user, public_id)
    form, status = PostForm(initial={"quote": request.GET.get("quote")}), 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        form = PostForm(request.POST)
        if form.is_valid():
            quote = _quoted(thread, form.cleaned_data.get("quote"))
            try:
                post = services.reply(request.user, thread, form.cleaned_data["body"], quote=quote)
            except ForumError as refused:
                form.add_error(None, str(refused))
                status = refused.status
            else:
                last = Paginator(selectors.thread_posts(thread), settings.FORUM_PAGE_SIZE)
                return redirect(
                    f"{reverse('community:thread', args=[thread.public_id])}"
                    f"?page={last.num_pages}#post-{post.pk}"
                )
        else:
            status = 400
    page = Paginator(selectors.thread_posts(thread), settings.FORUM_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    quoting = _quoted(thread, form["quote"].value())
    context = {
        "thread": thread,
        "page_obj": page,
        "rows": selectors.post_rows(page, request.user),
        "form": form,
        "quoting": quoting,
        "subscribed": selectors.is_subscribed(request.user, thread),
        "reaction_kinds": Reaction.Kind.choices,
    }
    return render(request, "community/thread.html", context, status=status)


def _quoted(thread, post_id):
    """The visible post of ``thread`` a form quotes, or None (any other id is ignored)."""
    try:
        post_id = int(post_id)
    except (TypeError, ValueError):
        return None
    return selectors.thread_posts(thread).filter(pk=post_id).first()


@login_required
@require_POST
def react(request, public_id, post_id):
    thread = selectors.thread(request.user, public_id)
    post = get_object_or_404(selectors.thread_posts(thread), pk=post_id)
    try:
        services.react(request.user, post, request.POST.get("kind", ""))
    except ForumError as refused:
        messages.error(request, str(refused))
    row = selectors.post_rows([post], request.user)[0]
    if getattr(request, "htmx", False):
        context = {"row": row, "thread": thread, "reaction_kinds": Reaction.Kind.choices}
        return render(request, "community/_reactions.html", context)
    return redirect(f"{reverse('community:thread', args=[thread.public_id])}#post-{post.pk}")


@login_required
@require_POST
def subscribe(request, public_id):
    thread = selectors.thread(request.user, public_id)
    following = services.set_subscription(request.user, thread, request.POST.get("follow") == "1")
    messages.success(
        request,
        "You'll hear about new posts in this thread."
        if following
        else "You won't hear about this thread any more.",
    )
    return redirect("community:thread", public_id=thread.public_id)


@require_GET
def search(request):
    query = request.GET.get("q", "")[:200]
    results = selectors.search(request.user, query)
    return render(request, "community/search.html", {"query": query, "results": results})


@login_required
@require_http_methods(["GET", "POST"])
def report(request, kind, ref):
    """Report something the visitor can see (anything else is not found)."""
    field, target = reports.reportable(request.user, kind, ref)
    if target is None:
        raise Http404("Nothing to report here.")
    form, status = ReportForm(), 200
    back = _back_to(request, field, target)
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                reports.report(
                    request.user,
                    field,
                    target,
                    form.cleaned_data["reason"],
                    form.cleaned_data["details"],
                )
            except ForumError as refused:
                form.add_error(None, str(refused))
                status = refused.status
            else:
                messages.success(
                    request,
                    "Thank you: our moderators will look at it. We don't share who reported.",
                )
                return redirect(back)
        else:
            status = 400
    context = {"form": form, "noun": reports.NOUNS[field], "target": target, "back": back}
    return render(request, "community/report.html", context, status=status)


def _back_to(request, field, target):
    """Where the reporter returns to: the thing itself, when it has a page."""
    if field == "post":
        return f"{target.thread.get_absolute_url()}#post-{target.pk}"
    if field == "thread":
        return target.get_absolute_url()
    if field == "reader_page":
        return target.url
    if field == "review":
        return target.reader_page.url
    return (
        request.GET.get("next")
        if url_has_allowed_host_and_scheme(
            request.GET.get("next"), allowed_hosts={request.get_host()}
        )
        else "/"
    )
