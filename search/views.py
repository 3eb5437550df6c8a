"""Site search: readers, help articles and products, grouped, with staff-promoted results.

Uses the configured Wagtail search backend (database by default; OpenSearch/Elasticsearch when
SEARCH_URL is set, see settings).
"""

from django.shortcuts import render
from wagtail.contrib.search_promotions.models import Query

from home.models import HelpPage
from readers.models import ReaderPage
from shop.models import ProductPage

MAX_QUERY_LENGTH = 200
PER_GROUP = 12
GROUPS = (
    ("readers", "Readers", ReaderPage),
    ("help", "Help articles", HelpPage),
    ("products", "Shop", ProductPage),
)


def _results(model, query):
    return list(model.objects.live().public().search(query)[:PER_GROUP])


def search(request):
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    groups, promoted = [], []
    if query:
        search_query = Query.get(query)
        search_query.add_hit()
        promoted = [
            pick.page.specific
            for pick in search_query.editors_picks.select_related("page")
            if pick.page.live
        ]
        promoted_ids = {page.pk for page in promoted}
        for key, label, model in GROUPS:
            pages = [page for page in _results(model, query) if page.pk not in promoted_ids]
            if pages:
                groups.append({"key": key, "label": label, "results": pages})
    total = len(promoted) + sum(len(group["results"]) for group in groups)
    context = {"query": query, "groups": groups, "promoted": promoted, "total": total}
    return render(request, "search/search.html", context)
