"""Site search: grouped results across readers, help and shop; promoted results; empty state."""

import pytest
from wagtail.contrib.search_promotions.models import Query, SearchPromotion

from home.models import HelpIndexPage, HelpPage
from readers.tests.conftest import home, media_root, reader_index  # noqa: F401
from readers.tests.factories import make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(reader_index, home):  # noqa: F811
    luna = make_reader(reader_index, "Luna Vale", tagline="Tarot for love and career", photo=False)
    help_index = home.add_child(instance=HelpIndexPage(title="Help", slug="help"))
    article = help_index.add_child(
        instance=HelpPage(title="How tarot readings work", slug="tarot-readings", summary="Tarot")
    )
    article.save_revision().publish()
    refunds = help_index.add_child(
        instance=HelpPage(title="Refunds", slug="refunds", summary="Getting money back")
    )
    refunds.save_revision().publish()
    return {"luna": luna, "article": article, "refunds": refunds}


def test_results_are_grouped_by_kind(client, content):
    response = client.get("/search/?q=tarot")
    groups = {group["key"]: group["results"] for group in response.context["groups"]}
    assert [page.pk for page in groups["readers"]] == [content["luna"].pk]
    assert [page.pk for page in groups["help"]] == [content["article"].pk]
    html = response.content.decode()
    assert "Readers" in html and "Help articles" in html


def test_promoted_result_comes_first_and_once(client, content):
    query = Query.get("tarot")
    SearchPromotion.objects.create(query=query, page=content["refunds"], sort_order=0)
    response = client.get("/search/?q=tarot")
    assert [page.pk for page in response.context["promoted"]] == [content["refunds"].pk]
    html = response.content.decode()
    assert "Recommended" in html
    assert html.index("Refunds") < html.index("How tarot readings work")


def test_no_match_shows_the_empty_state(client, content):
    html = client.get("/search/?q=zzzxqy").content.decode()
    assert "No matches" in html and "Browse all readers" in html


def test_blank_search_suggests_topics(client):
    html = client.get("/search/").content.decode()
    assert "Popular searches" in html
