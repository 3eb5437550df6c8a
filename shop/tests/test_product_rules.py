"""What editors may save on a product: a download that is what its name says and not too big,
a reader as seller, and no slug the shop's own pages use."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from shop.models import ProductPage
from shop.tests.factories import PDF, physical
from shop.validators import validate_download

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
ZIP = b"PK\x03\x04" + b"\x00" * 16
MP3 = b"ID3\x04\x00" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("guide.pdf", PDF),
        ("deck.zip", ZIP),
        ("book.epub", ZIP),
        ("meditation.mp3", MP3),
        ("meditation.mp3", b"\xff\xfb\x90\x64" + b"\x00" * 8),
        ("chart.png", PNG),
        ("chart.jpg", JPEG),
    ],
)
def test_a_download_of_an_allowed_type_is_accepted(name, content):
    validate_download(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("guide.pdf", b"MZ\x90\x00 a program", "none of those"),
        ("guide.exe", b"MZ\x90\x00", "none of those"),
        ("guide.html", b"<html><script>", "none of those"),
        ("guide.pdf", ZIP, "content is ZIP"),
        ("chart.png", JPEG, "content is JPEG"),
    ],
)
def test_a_download_that_is_not_what_its_name_says_is_refused(name, content, message):
    with pytest.raises(ValidationError, match=message):
        validate_download(SimpleUploadedFile(name, content))


def test_a_download_over_the_size_limit_is_refused(settings):
    settings.SHOP_DOWNLOAD_MAX_BYTES = 1024

    with pytest.raises(ValidationError, match="at most 1.0"):
        validate_download(SimpleUploadedFile("guide.pdf", PDF + b"\x00" * 2048))


def test_a_product_refuses_a_bad_file_when_saved_from_a_form(shop):
    product = physical(shop)
    product.kind = ProductPage.Kind.DIGITAL
    product.download = SimpleUploadedFile("guide.pdf", b"not a pdf at all")

    with pytest.raises(ValidationError) as refused:
        product.full_clean()

    assert "download" in refused.value.message_dict


def test_only_a_reader_sells_in_the_shop(shop):
    product = physical(shop)
    product.seller = UserFactory()  # a client
    with pytest.raises(ValidationError) as refused:
        product.full_clean()
    assert "seller" in refused.value.message_dict

    product.seller = UserFactory(reader=True)
    product.full_clean()


@pytest.mark.parametrize("slug", ["cart", "checkout", "orders", "downloads", "products"])
def test_a_product_cannot_take_the_name_of_a_shop_page(shop, slug):
    product = physical(shop)
    product.slug = slug

    with pytest.raises(ValidationError) as refused:
        product.full_clean()

    assert "slug" in refused.value.message_dict


def test_the_editor_names_the_stored_download_without_a_link_and_offers_readers_only(client, shop):
    import re

    from shop.tests.factories import digital

    reader, someone = UserFactory(reader=True), UserFactory()
    product = digital(shop, seller=reader)
    client.force_login(UserFactory(staff=True, is_superuser=True))

    response = client.get(f"/admin/pages/{product.pk}/edit/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f"<span>{product.download.name}</span>" in html
    assert f"/media/{product.download.name}" not in html
    sellers = re.search(r'<select name="seller".*?</select>', html, re.S).group(0)
    assert f'value="{reader.pk}"' in sellers and f'value="{someone.pk}"' not in sellers


def test_an_ordered_product_is_not_deleted_in_the_editor_and_can_be_unpublished(client, shop):
    from shop.tests.factories import order
    from wallet.tests.factories import fund_wallet

    buyer = UserFactory()
    fund_wallet(buyer, 5_000)
    deck, unsold = physical(shop, "Moon deck"), physical(shop, "Candles")
    order(buyer, deck)
    client.force_login(UserFactory(staff=True, is_superuser=True))

    for page in (deck, shop):
        response = client.post(f"/admin/pages/{page.pk}/delete/")
        assert response.status_code == 302
        assert response["Location"] == f"/admin/pages/{page.pk}/edit/"
        assert ProductPage.objects.filter(pk=deck.pk).exists()
    client.post(f"/admin/pages/{unsold.pk}/delete/")

    assert not ProductPage.objects.filter(pk=unsold.pk).exists()
