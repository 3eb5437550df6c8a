"""A reader's rating and review count are only ever what their visible reviews say: stored
figures without reviews behind them are corrected, and a copied profile starts unrated."""

import importlib
from decimal import Decimal

from django.apps import apps

from accounts.tests.factories import UserFactory
from readers import services
from readers.models import ReaderPage
from readers.tests.factories import ended_reading, make_reader

rating_migration = importlib.import_module("readers.migrations.0007_rating_from_reviews")


def stored_rating(page):
    page = ReaderPage.objects.get(pk=page.pk)
    return page.rating_average, page.rating_count


def test_the_migration_replaces_invented_ratings_with_what_the_reviews_say(reader_index):
    invented = make_reader(reader_index, "Aurora Vale", rating_average="4.92", rating_count=1284)
    reviewed = make_reader(reader_index, "Luna Vale")
    client = UserFactory()
    services.create_review(client, ended_reading(client, reviewed), rating=4, text="Kind, clear.")
    ReaderPage.objects.filter(pk=reviewed.pk).update(rating_average="4.95", rating_count=2210)

    rating_migration.rating_from_reviews(apps, None)

    assert stored_rating(invented) == (Decimal("0.00"), 0)
    assert stored_rating(reviewed) == (Decimal("4.00"), 1)


def test_a_copied_reader_page_starts_offline_and_unrated(reader_index):
    original = make_reader(reader_index, "Luna Vale")
    client = UserFactory()
    services.create_review(
        client, ended_reading(client, original), rating=5, text="Spot on about my move."
    )
    original.refresh_from_db()
    assert (original.rating_count, original.presence) == (1, "online")

    copy = original.copy(
        update_attrs={"title": "Luna Vale copy", "slug": "luna-vale-copy", "user": None},
        keep_live=False,
    )

    assert stored_rating(copy) == (Decimal("0.00"), 0)
    assert ReaderPage.objects.get(pk=copy.pk).presence == "offline"
    assert not copy.reviews.exists()
