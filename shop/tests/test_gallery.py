"""A product's photos: the main photo large with the gallery's photos as thumbnails that show
each in its place (links, so it works without JavaScript), every photo in the page's JSON-LD,
and the gallery as the editor left it in previews and revisions."""

import json

import pytest
from bs4 import BeautifulSoup

from accounts.tests.factories import UserFactory
from shop.models import ProductImage, ProductPage
from shop.tests.factories import add_photos, image, physical

pytestmark = pytest.mark.django_db


def _json_ld(html):
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script", type="application/ld+json"):
        data = json.loads(script.string)
        if data.get("@type") == "Product":
            return data
    raise AssertionError("no Product JSON-LD")


def test_the_main_photo_comes_first_and_every_photo_has_a_thumbnail_that_shows_it(client, shop):
    deck = physical(shop, "Moon deck", image=image("Deck"))
    add_photos(deck, image("Deck, back"), caption="The back of every card")
    add_photos(deck, image("Deck, box"))

    soup = BeautifulSoup(client.get(deck.url).content, "html.parser")

    slides = soup.select("[data-gallery-strip] > li")
    assert [slide["id"] for slide in slides] == ["photo-1", "photo-2", "photo-3"]
    assert [slide.img["alt"] for slide in slides] == ["Deck", "Deck, back", "Deck, box"]
    assert slides[1].figcaption.get_text() == "The back of every card"
    assert slides[0].img.get("fetchpriority") == "high" and slides[1].img["loading"] == "lazy"
    thumbs = soup.select("a[data-gallery-thumb]")
    assert [thumb["href"] for thumb in thumbs] == ["#photo-1", "#photo-2", "#photo-3"]
    assert thumbs[0]["aria-current"] == "true" and not thumbs[1].get("aria-current")
    assert thumbs[2].img["alt"] == "" and "Photo 3 of 3: Deck, box" in thumbs[2].get_text()
    assert soup.find("script", src=lambda src: src and "product-gallery" in src)


def test_the_json_ld_lists_every_photo_of_the_product(client, shop):
    deck = physical(shop, "Moon deck", image=image("Deck"))
    add_photos(deck, image("Deck, back"), image("Deck, box"))

    data = _json_ld(client.get(deck.url).content)

    assert len(data["image"]) == 3 and len(set(data["image"])) == 3
    assert all(url.startswith("http") and ".fill-900x675" in url for url in data["image"])


def test_a_product_with_one_photo_shows_it_without_thumbnails_or_script(client, shop):
    deck = physical(shop, "Moon deck", image=image("Deck"))

    html = client.get(deck.url).content.decode()

    assert "data-gallery-thumb" not in html and "product-gallery" not in html
    assert len(_json_ld(html)["image"]) == 1


def test_a_gallery_without_a_main_photo_starts_with_its_first_photo_and_none_shows_twice(
    client, shop
):
    cover = image("Deck")
    deck = physical(shop, "Moon deck")
    add_photos(deck, image("Deck, back"), image("Deck, box"))
    soup = BeautifulSoup(client.get(deck.url).content, "html.parser")
    assert [img["alt"] for img in soup.select("[data-gallery-strip] img")] == [
        "Deck, back",
        "Deck, box",
    ]

    page = ProductPage.objects.get(pk=deck.pk)
    page.image = cover
    page.gallery_images.add(ProductImage(image=cover))
    page.save_revision().publish()
    soup = BeautifulSoup(client.get(deck.url).content, "html.parser")

    assert [img["alt"] for img in soup.select("[data-gallery-strip] img")] == [
        "Deck",
        "Deck, back",
        "Deck, box",
    ]


def test_a_photos_own_alt_text_is_used_over_the_images_description(client, shop):
    deck = physical(shop, "Moon deck", image=image("Deck"))
    page = ProductPage.objects.get(pk=deck.pk)
    page.gallery_images.add(ProductImage(image=image("IMG_2041"), alt_text="The deck fanned out"))
    page.save_revision().publish()

    soup = BeautifulSoup(client.get(deck.url).content, "html.parser")

    assert soup.select("[data-gallery-strip] img")[1]["alt"] == "The deck fanned out"


def test_a_revision_shows_its_own_gallery_and_the_editor_orders_it(client, shop):
    deck = physical(shop, "Moon deck", image=image("Deck"))
    first, second = image("Deck, back"), image("Deck, box")
    add_photos(deck, first, second)
    page = ProductPage.objects.get(pk=deck.pk)
    page.gallery_images = [ProductImage(image=second), ProductImage(image=first)]
    draft = page.save_revision()

    assert [photo.image for photo in draft.as_object().photos()][1:] == [second, first]
    live = ProductPage.objects.get(pk=deck.pk)
    assert [photo.image for photo in live.photos()][1:] == [first, second]


def test_the_editor_has_a_gallery_panel_with_image_caption_and_alt_text(client, shop):
    deck = physical(shop, "Moon deck")
    client.force_login(UserFactory(staff=True, is_superuser=True))

    html = client.get(f"/admin/pages/{deck.pk}/edit/").content.decode()

    assert 'name="gallery_images-TOTAL_FORMS"' in html
    assert "gallery_images-__prefix__-caption" in html
    assert "gallery_images-__prefix__-alt_text" in html
