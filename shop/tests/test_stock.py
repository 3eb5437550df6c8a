"""How many of a product are left is kept outside its page: no page save, revision publish or
revert, and no edit form opened before some sales, can change it. Staff set or add to it from
the product's "Stock" action (the page's editors only), audited with who did it."""

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import GroupPagePermission
from wagtail.test.utils.form_data import querydict_from_html

from accounts.tests.factories import UserFactory
from home import page_cache
from home.models import AuditEvent
from shop import inventory
from shop.errors import NotEnoughStock, StockRefused
from shop.models import ProductPage
from shop.tests.factories import gift_card, order, physical
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db


def left(product):
    return ProductPage.objects.get(pk=product.pk).stock


def _buyer():
    buyer = UserFactory()
    fund_wallet(buyer, 50_000)
    return buyer


def _editor(page, *codenames):
    """A staff member who may edit the pages under ``page`` (no superuser powers)."""
    user = UserFactory(staff=True)
    group = Group.objects.create(name=f"shop editors {user.pk}")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    for codename in codenames:
        GroupPagePermission.objects.create(
            group=group,
            page=page,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )
    user.groups.add(group)
    return user


def _stock_events(product):
    return AuditEvent.objects.filter(
        action="product.stock_changed", target_id=str(product.pk)
    ).order_by("pk")


# Pages and revisions never write the stock ------------------------------------------------------


def test_publishing_an_old_revision_keeps_the_stock_sold_since(shop):
    deck = physical(shop, "Moon deck", stock=5)
    old = ProductPage.objects.get(pk=deck.pk).save_revision()
    old.publish()
    order(_buyer(), (deck, 2))

    old.publish()

    assert left(deck) == 3


def test_reverting_to_an_old_revision_keeps_the_stock(shop):
    deck = physical(shop, "Moon deck", stock=5)
    old = ProductPage.objects.get(pk=deck.pk).save_revision()
    old.publish()
    order(_buyer(), (deck, 4))
    page = ProductPage.objects.get(pk=deck.pk)
    page.summary = "A newer text"
    page.save_revision().publish()

    old.as_object().save_revision(previous_revision=old).publish()

    assert left(deck) == 1
    assert ProductPage.objects.get(pk=deck.pk).summary == ""


def test_a_revision_saved_while_stock_was_a_page_field_publishes_without_touching_it(shop):
    deck = physical(shop, "Moon deck", stock=5)
    revision = ProductPage.objects.get(pk=deck.pk).save_revision()
    revision.content["stock"] = 99
    revision.save(update_fields=["content"])

    revision.publish()

    assert left(deck) == 5


def test_a_sale_between_opening_and_saving_the_edit_form_is_not_lost(client, shop):
    deck = physical(shop, "Moon deck", stock=5)
    client.force_login(UserFactory(staff=True, is_superuser=True))
    url = f"/admin/pages/{deck.pk}/edit/"
    html = client.get(url).content.decode()
    form = querydict_from_html(html, form_id="page-edit-form")
    assert "stock" not in form and 'name="stock"' not in html

    order(_buyer(), (deck, 2))  # while the editor is typing
    form["summary"] = "Now with a guidebook"
    form["description-count"] = "0"
    form["stock"] = "5"  # a form from before the change would send it: ignored
    form["action-publish"] = "action-publish"
    response = client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    page = ProductPage.objects.get(pk=deck.pk)
    assert page.summary == "Now with a guidebook" and page.live
    assert left(deck) == 3


def test_the_edit_form_shows_the_stock_and_links_to_the_stock_action(client, shop):
    deck = physical(shop, "Moon deck", stock=7)
    client.force_login(UserFactory(staff=True, is_superuser=True))

    html = client.get(f"/admin/pages/{deck.pk}/edit/").content.decode()

    assert "7 left." in html and f"/admin/shop/products/{deck.pk}/stock/" in html


# The stock action ---------------------------------------------------------------------------------


def test_an_editor_sets_the_stock_and_the_change_is_audited_with_who_and_when(client, shop):
    deck = physical(shop, "Moon deck")
    editor = _editor(shop, "change_page")
    client.force_login(editor)
    url = f"/admin/shop/products/{deck.pk}/stock/"

    page = client.get(url)
    response = client.post(url, {"change": "set", "quantity": "12"})

    assert page.status_code == 200 and "no limit" in page.content.decode()
    assert response.status_code == 302
    assert left(deck) == 12
    [event] = _stock_events(deck)
    assert event.actor == editor and event.created_at
    assert event.data == {"change": "set", "before": None, "after": 12}
    history = client.get(url).content.decode()
    assert str(editor) in history and "12 left" in history


def test_a_delivery_adds_to_what_is_left_whatever_sold_meanwhile(client, shop):
    deck = physical(shop, "Moon deck", stock=3)
    client.force_login(_editor(shop, "change_page"))
    url = f"/admin/shop/products/{deck.pk}/stock/"
    client.get(url)  # the form, opened when 3 were left
    order(_buyer(), (deck, 2))

    client.post(url, {"change": "add", "quantity": "10"})

    assert left(deck) == 11
    assert _stock_events(deck).last().data == {
        "change": "added",
        "before": 1,
        "after": 11,
        "added": 10,
    }


def test_an_editor_lifts_the_limit(client, shop):
    deck = physical(shop, "Moon deck", stock=0)
    client.force_login(_editor(shop, "change_page"))

    client.post(f"/admin/shop/products/{deck.pk}/stock/", {"change": "no_limit"})

    assert left(deck) is None
    assert ProductPage.objects.get(pk=deck.pk).max_quantity == 10


def test_changing_the_stock_needs_the_permission_to_edit_the_product(client, shop):
    deck = physical(shop, "Moon deck", stock=3)
    events = _stock_events(deck).count()
    url = f"/admin/shop/products/{deck.pk}/stock/"
    # May add pages, not edit them: Wagtail answers a refusal by going back to the dashboard.
    client.force_login(_editor(shop.get_parent(), "add_page"))
    for response in (client.get(url), client.post(url, {"change": "set", "quantity": "99"})):
        assert response.status_code == 302 and response["Location"] == "/admin/"
    client.force_login(UserFactory())  # no admin access at all
    response = client.post(url, {"change": "set", "quantity": "99"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

    assert left(deck) == 3 and _stock_events(deck).count() == events


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"change": "set", "quantity": "-1"}, "greater than or equal to 0"),
        ({"change": "set", "quantity": ""}, "Say how many."),
        ({"change": "add", "quantity": "0"}, "Add at least one."),
        ({"change": "set", "quantity": "1000001"}, "less than or equal to 100000"),
        ({"change": "sell", "quantity": "3"}, "Select a valid choice"),
    ],
)
def test_a_stock_change_that_makes_no_sense_is_refused_and_changes_nothing(
    client, shop, data, message
):
    deck = physical(shop, "Moon deck", stock=3)
    events = _stock_events(deck).count()
    client.force_login(_editor(shop, "change_page"))

    response = client.post(f"/admin/shop/products/{deck.pk}/stock/", data)

    assert response.status_code == 400 and message in response.content.decode()
    assert left(deck) == 3 and _stock_events(deck).count() == events


def test_the_stock_action_is_in_the_page_listing_and_the_products_header(client, shop):
    deck = physical(shop, "Moon deck")
    client.force_login(_editor(shop, "change_page"))
    url = f"/admin/shop/products/{deck.pk}/stock/"

    assert url in client.get(f"/admin/pages/{shop.pk}/").content.decode()
    assert url in client.get(f"/admin/pages/{deck.pk}/edit/").content.decode()
    client.force_login(_editor(shop.get_parent(), "add_page"))
    assert url not in client.get(f"/admin/pages/{shop.pk}/").content.decode()


def test_a_gift_card_has_no_stock_to_set(client, shop):
    card = gift_card(shop)
    client.force_login(UserFactory(staff=True, is_superuser=True))

    page = client.get(f"/admin/shop/products/{card.pk}/stock/").content.decode()
    response = client.post(
        f"/admin/shop/products/{card.pk}/stock/", {"change": "set", "quantity": "5"}
    )

    assert "never run out" in page and "Save the stock" not in page
    assert response.status_code == 400 and left(card) is None


def test_a_copy_of_an_item_with_stock_starts_sold_out_not_unlimited(client, shop):
    deck = physical(shop, "Moon deck", stock=8)
    client.force_login(UserFactory(staff=True, is_superuser=True))

    response = client.post(
        f"/admin/pages/{deck.pk}/copy/",
        {"new_title": "Sun deck", "new_slug": "sun-deck", "new_parent_page": shop.pk},
    )

    assert response.status_code == 302
    copy = ProductPage.objects.get(slug="sun-deck")
    assert left(copy) == 0 and left(deck) == 8


# What the shop's pages say ------------------------------------------------------------------------


def test_the_catalogue_and_product_page_say_how_many_are_left_even_from_the_page_cache(
    client, shop, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 600
    page_cache.bump()
    deck, candles = physical(shop, "Moon deck", stock=2), physical(shop, "Candles", stock=40)
    # Stored once the first renders have warmed up.
    assert any(client.get(shop.url)["X-Page-Cache"] == "hit" for _ in range(3))
    assert "Only 2 left" in client.get(shop.url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        order(_buyer(), deck)
    html = client.get(shop.url).content.decode()
    assert "Only 1 left" in html and "Only 40" not in html
    with django_capture_on_commit_callbacks(execute=True):
        order(_buyer(), deck)
    html = client.get(shop.url).content.decode()
    assert "Sold out" in html and "Only" not in html
    assert ">Sold out</p>" in client.get(deck.url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        inventory.restock(deck, 3, by=UserFactory(staff=True))
    assert "Only 3 left" in client.get(shop.url).content.decode()
    assert "Only 3 left." in client.get(f"/shop/products/{deck.pk}/buy/").content.decode()
    assert left(candles) == 40


# The service ----------------------------------------------------------------------------------


def test_restocking_a_product_without_a_limit_is_refused(shop):
    deck = physical(shop, "Moon deck")

    with pytest.raises(StockRefused, match="no stock limit"):
        inventory.restock(deck, 5)

    assert left(deck) is None


def test_taking_more_than_is_left_is_refused_by_the_database_rule(shop):
    deck = physical(shop, "Moon deck", stock=2)

    with pytest.raises(NotEnoughStock):
        inventory.take(deck, 3)

    assert left(deck) == 2


def test_setting_a_count_below_zero_is_refused(shop):
    deck = physical(shop, "Moon deck", stock=2)

    with pytest.raises(StockRefused):
        inventory.set_stock(deck, -1)

    assert left(deck) == 2
