"""The forum: boards, threads and posts through the services; Markdown rendered inert whatever
is typed (posts, titles, quotes); posting limits, tighter for new accounts; hidden boards and
threads reachable by nobody but staff; pages whose query counts do not grow with the posts."""

import uuid
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community import services
from community.errors import EmptyPost, NotAllowed, PostingTooFast, PostTooLong, ThreadLocked
from community.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from community.models import MAX_POST_CHARS, ForumCategory, Post, Reaction, Subscription, Thread
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db

XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click]( JaVaScRiPt:alert(1) )",
    '<a href="https://x.example" onclick="alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
]


def board(name="Tarot talk", **fields):
    slug = fields.pop("slug", name.lower().replace(" ", "-"))
    return ForumCategory.objects.create(name=name, slug=slug, **fields)


def member(**fields):
    """An established member: a week old and topped up once (the normal posting limit)."""
    user = UserFactory(**fields)
    user.date_joined = timezone.now() - timedelta(days=7)
    user.save(update_fields=["date_joined"])
    fund_wallet(user, 1000)
    return user


@pytest.fixture(autouse=True)
def _own_rate_limits(settings):
    settings.RATELIMIT_CACHE_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"


def test_a_thread_opens_with_its_first_post_and_its_author_follows_it():
    author = member()
    thread = services.start_thread(author, board(), "  First   cards  ", "**Hello** there")

    assert thread.title == "First cards" and thread.post_count == 1
    post = thread.posts.get()
    assert post.html == "<p><strong>Hello</strong> there</p>\n"
    assert Subscription.objects.filter(thread=thread, user=author).exists()


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html):
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("attack", XSS)
def test_whatever_is_typed_in_a_post_is_rendered_inert(attack):
    thread = services.start_thread(member(), board(), "A title", attack)
    reply = services.reply(member(), thread, f"> {attack}\n\n{attack}", quote=thread.posts.get())

    for html in (thread.posts.first().html, reply.html):
        for tag, attrs in elements(html):
            assert tag in ALLOWED_TAGS, html
            assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, html
            href = attrs.get("href", "https://")
            assert href.startswith(("https://", "http://", "mailto:")), html


def test_links_are_kept_with_rel_nofollow_ugc_and_headings_sit_below_the_page_title():
    thread = services.start_thread(member(), board(), "Links", "# Big\n\n[site](https://a.example)")
    html = thread.posts.get().html

    assert '<a href="https://a.example" rel="nofollow ugc noopener">site</a>' in html
    assert "<h3>Big</h3>" in html and "<h1" not in html


def test_a_title_and_a_quote_that_carry_markup_show_as_text_on_the_thread_page(client):
    author = member()
    thread = services.start_thread(author, board(), "<script>alert('t')</script>", "first")
    quoted = thread.posts.get()
    services.reply(member(), thread, "I agree", quote=quoted)

    html = client.get(thread.get_absolute_url()).content.decode()

    assert "<script>alert('t')</script>" not in html
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in html
    assert 'data-testid="quote"' in html


def test_empty_oversized_and_locked_posts_are_refused_and_nothing_changes():
    thread = services.start_thread(member(), board(), "Open", "first")
    someone = member()

    with pytest.raises(EmptyPost):
        services.reply(someone, thread, "   \n ")
    with pytest.raises(PostTooLong, match="at most 10,000"):
        services.reply(someone, thread, "x" * (MAX_POST_CHARS + 1))
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    with pytest.raises(ThreadLocked):
        services.reply(someone, thread, "late")

    thread.refresh_from_db()
    assert thread.post_count == 1 and thread.posts.count() == 1


def test_nobody_posts_on_a_hidden_board_and_its_threads_are_not_found_but_by_staff(client):
    secret = board("Staff room", is_hidden=True)
    with pytest.raises(NotAllowed):
        services.start_thread(member(), secret, "Hello", "there")
    thread = Thread.objects.create(category=secret, author=member(), title="Old", post_count=0)

    client.force_login(member())
    assert client.get(secret.get_absolute_url()).status_code == 404
    assert client.get(thread.get_absolute_url()).status_code == 404
    client.force_login(UserFactory(staff=True))
    assert client.get(secret.get_absolute_url()).status_code == 200


def test_a_hidden_thread_and_a_quote_from_another_thread_are_refused(client):
    thread = services.start_thread(member(), board(), "One", "first")
    other = services.start_thread(member(), board("Dreams"), "Two", "elsewhere")

    with pytest.raises(NotAllowed):
        services.reply(member(), thread, "quoting", quote=other.posts.get())
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    with pytest.raises(NotAllowed):
        services.reply(member(), thread, "still here?")
    assert client.get(thread.get_absolute_url()).status_code == 404


def test_a_new_account_may_post_five_times_an_hour_and_an_established_one_thirty(settings):
    settings.FORUM_NEW_ACCOUNT_POSTS_PER_HOUR = 5
    settings.FORUM_POSTS_PER_HOUR = 30
    thread = services.start_thread(member(), board(), "Busy", "first")
    newcomer, regular = UserFactory(), member()

    for n in range(5):
        services.reply(newcomer, thread, f"new {n}")
    with pytest.raises(PostingTooFast, match="New accounts"):
        services.reply(newcomer, thread, "one more")
    for n in range(30):
        services.reply(regular, thread, f"regular {n}")
    with pytest.raises(PostingTooFast):
        services.reply(regular, thread, "one more")

    thread.refresh_from_db()
    assert thread.post_count == 36


def test_an_account_never_topped_up_counts_as_new_however_old():
    old = UserFactory()
    old.date_joined = timezone.now() - timedelta(days=400)
    old.save(update_fields=["date_joined"])

    assert services.is_new_account(old)
    fund_wallet(old, 500)
    assert not services.is_new_account(old)


def test_a_reaction_given_twice_is_taken_back_and_counts_show_on_the_page(client):
    thread = services.start_thread(member(), board(), "Thanks", "first")
    post = thread.posts.get()
    fan = member()

    assert services.react(fan, post, Reaction.Kind.HEART) is True
    assert services.react(member(), post, Reaction.Kind.HEART) is True
    assert services.react(fan, post, Reaction.Kind.HEART) is False
    with pytest.raises(NotAllowed):
        services.react(fan, post, "shrug")

    client.force_login(fan)
    response = client.post(
        f"{thread.get_absolute_url()}posts/{post.pk}/react/",
        {"kind": "heart"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert Reaction.objects.filter(post=post, kind="heart").count() == 2


def test_following_a_thread_can_be_stopped_from_its_page(client):
    thread = services.start_thread(member(), board(), "Follow me", "first")
    reader = member()
    client.force_login(reader)

    client.post(f"{thread.get_absolute_url()}follow/", {"follow": "1"})
    assert Subscription.objects.filter(thread=thread, user=reader).exists()
    client.post(f"{thread.get_absolute_url()}follow/", {"follow": "0"})
    assert not Subscription.objects.filter(thread=thread, user=reader).exists()


def test_posting_from_the_pages_starts_a_thread_and_replies_with_a_quote(client):
    tarot = board()
    client.force_login(member())

    response = client.post(tarot.get_absolute_url(), {"title": "Card of the day", "body": "Mine"})
    thread = Thread.objects.get(title="Card of the day")
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    first = thread.posts.get()
    response = client.post(thread.get_absolute_url(), {"body": "The Star", "quote": first.pk})
    star = Post.objects.get(body="The Star")
    assert response.status_code == 302 and response["Location"].endswith(f"#post-{star.pk}")
    assert star.quote == first
    bad = client.post(thread.get_absolute_url(), {"body": ""})
    assert bad.status_code == 400 and "the post is empty" in bad.content.decode()


def test_a_visitor_reads_but_is_sent_to_log_in_to_post(client):
    thread = services.start_thread(member(), board(), "Public", "first")

    assert client.get(thread.get_absolute_url()).status_code == 200
    response = client.post(thread.get_absolute_url(), {"body": "anon"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert thread.posts.count() == 1


def test_a_readers_post_carries_a_badge_linking_to_their_page(client, reader_page):
    thread = services.start_thread(member(), board(), "Ask a reader", "Anyone?")
    services.reply(reader_page.user, thread, "I can help")

    html = client.get(thread.get_absolute_url()).content.decode()

    assert f'href="{reader_page.url}" data-testid="reader-badge"' in html


def test_search_finds_threads_by_title_and_by_post_on_visible_boards_only(client):
    thread = services.start_thread(member(), board(), "Moon rituals", "Full moon water")
    services.reply(member(), thread, "Try selenite crystals")
    secret = board("Hidden", is_hidden=True)
    Thread.objects.create(category=secret, author=member(), title="Selenite secrets")

    html = client.get("/community/search/", {"q": "selenite"}).content.decode()

    assert "Moon rituals" in html and "Selenite secrets" not in html
    assert (
        "Nothing in the community matches"
        in client.get("/community/search/", {"q": "zzzqqq"}).content.decode()
    )


def test_a_board_may_not_take_the_name_of_a_forum_page():
    with pytest.raises(ValidationError):
        ForumCategory(name="Search", slug="search").full_clean()


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_thread_and_board_pages_cost_the_same_queries_for_one_post_or_twenty(client):
    tarot = board()
    one = services.start_thread(member(), tarot, "One post", "first")
    many = services.start_thread(member(), tarot, "Many posts", "first")
    for n in range(19):
        post = services.reply(member(), many, f"reply {n}")
        services.react(member(), post, Reaction.Kind.LIKE)
    client.force_login(member())
    _queries(client, one.get_absolute_url())  # warm the site and session caches

    assert _queries(client, many.get_absolute_url()) == _queries(client, one.get_absolute_url())
    before = _queries(client, tarot.get_absolute_url())
    for n in range(5):
        services.start_thread(member(), tarot, f"More {n}", "text")
    assert _queries(client, tarot.get_absolute_url()) == before
    assert _queries(client, "/community/") == _queries(client, "/community/")


def test_followers_hear_of_a_new_post_in_app_and_by_email_and_the_author_does_not(
    mailoutbox, django_capture_on_commit_callbacks
):
    from community.tasks import email_new_post
    from readers.models import Notification

    opener, follower, author = member(), member(), member()
    thread = services.start_thread(opener, board(), "Full moon", "first")
    services.set_subscription(follower, thread, True)

    with django_capture_on_commit_callbacks() as queued:
        post = services.reply(author, thread, "A new post")

    assert len(queued) == 1  # the email task, queued after commit
    notes = Notification.objects.filter(kind=Notification.Kind.FORUM)
    assert sorted(notes.values_list("user_id", flat=True)) == sorted([opener.pk, follower.pk])
    assert notes.first().url == f"{thread.get_absolute_url()}#post-{post.pk}"
    assert email_new_post.apply(args=[post.pk]).get() == 2
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted([opener.email, follower.email])
    assert "A new post" in mailoutbox[0].body and "stop following" in mailoutbox[0].body


def test_reacting_to_a_hidden_post_or_by_a_guessed_id_from_another_thread_is_not_found(client):
    thread = services.start_thread(member(), board(), "Seen", "first")
    other = services.start_thread(member(), board("Dreams"), "Other", "elsewhere")
    hidden = services.reply(member(), thread, "gone soon")
    Post.objects.filter(pk=hidden.pk).update(is_hidden=True)
    client.force_login(member())

    for url in (
        f"{thread.get_absolute_url()}posts/{hidden.pk}/react/",
        f"{thread.get_absolute_url()}posts/{other.posts.get().pk}/react/",
    ):
        assert client.post(url, {"kind": "like"}).status_code == 404
    assert not Reaction.objects.exists()
