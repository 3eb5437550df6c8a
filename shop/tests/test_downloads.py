"""Downloads: the buyer's signed link gives the file, counted up to the limit; an expired,
tampered or someone else's link, or one for an unpaid order, gives nothing."""

import time

import pytest
from django.core import signing

from accounts.tests.factories import UserFactory
from shop import services
from shop.errors import DownloadRefused
from shop.models import Order, OrderLine
from shop.tests.factories import PDF, digital, order, physical
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought(shop):
    """A buyer's paid line of a download: ``(buyer, line)``."""
    buyer = UserFactory()
    fund_wallet(buyer, 5_000)
    paid = order(buyer, digital(shop, "Meditation"))
    return buyer, paid.lines.get()


def test_the_buyers_link_streams_the_file_and_counts_one_download(client, bought):
    buyer, line = bought
    client.force_login(buyer)

    response = client.get(services.download_url(line, buyer))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    line.refresh_from_db()
    assert line.downloads == 1


def test_the_receipt_has_a_download_button_with_the_downloads_left(client, bought):
    buyer, line = bought
    client.force_login(buyer)

    html = client.get(f"/shop/orders/{line.order.public_id}/").content.decode()

    assert 'data-testid="download"' in html and "5 downloads left" in html


def test_the_download_limit_is_enforced(client, settings, bought):
    settings.SHOP_DOWNLOAD_LIMIT = 2
    buyer, line = bought
    client.force_login(buyer)
    url = services.download_url(line, buyer)

    statuses = [client.get(url).status_code for _ in range(3)]

    assert statuses == [200, 200, 403]
    line.refresh_from_db()
    assert line.downloads == 2
    receipt = client.get(f"/shop/orders/{line.order.public_id}/").content.decode()
    assert "You've used every download of this file." in receipt
    assert 'data-testid="download"' not in receipt


def test_an_expired_link_is_refused_with_a_way_back_to_the_order(client, settings, bought):
    buyer, line = bought
    client.force_login(buyer)
    url = services.download_url(line, buyer)
    settings.SHOP_DOWNLOAD_LINK_SECONDS = 1
    time.sleep(2.1)  # signatures carry whole seconds

    response = client.get(url)

    assert response.status_code == 403
    html = response.content.decode()
    assert "This download link has expired." in html
    assert f'href="/shop/orders/{line.order.public_id}/"' in html
    line.refresh_from_db()
    assert line.downloads == 0


def test_a_tampered_link_is_not_found(client, bought):
    buyer, line = bought
    client.force_login(buyer)
    url = services.download_url(line, buyer)
    token = url.rstrip("/").rsplit("/", 1)[1]
    _value, timestamp, signature = token.split(":")
    other_line = f"{line.pk + 1}.{buyer.pk}"
    forged = signing.TimestampSigner(salt="another salt").sign(other_line)

    for bad in (token[:-1] + "x", f"{other_line}:{timestamp}:{signature}", forged, "x"):
        assert client.get(f"/shop/downloads/{bad}/").status_code == 404
    line.refresh_from_db()
    assert line.downloads == 0


def test_someone_elses_link_is_not_found_for_them(client, bought):
    buyer, line = bought
    url = services.download_url(line, buyer)
    client.force_login(UserFactory())

    assert client.get(url).status_code == 404
    line.refresh_from_db()
    assert line.downloads == 0


def test_a_link_needs_the_buyer_to_be_signed_in(client, bought):
    buyer, line = bought

    response = client.get(services.download_url(line, buyer))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_link_for_an_order_that_is_not_paid_is_not_found(client, bought):
    buyer, line = bought
    url = services.download_url(line, buyer)
    Order.objects.filter(pk=line.order_id).update(state=Order.State.REFUNDED)
    client.force_login(buyer)

    assert client.get(url).status_code == 404
    with pytest.raises(DownloadRefused):
        services.download_url(OrderLine.objects.get(pk=line.pk), buyer)


def test_a_physical_line_has_no_download(shop):
    buyer = UserFactory()
    fund_wallet(buyer, 5_000)
    line = order(buyer, physical(shop)).lines.get()

    with pytest.raises(DownloadRefused):
        services.download_url(line, buyer)


def test_the_private_files_are_not_served_under_media(client, settings, bought):
    import importlib

    from django.urls import clear_url_caches, set_urlconf

    import soulseer.urls

    _buyer, line = bought
    assert line.product.download.name.startswith("shop/downloads/")
    with pytest.raises(ValueError):
        line.product.download.url  # noqa: B018 - private files have no URL
    # Development serves MEDIA_ROOT under /media/ (DEBUG), and the files are in MEDIA_ROOT/private.
    settings.DEBUG = True
    importlib.reload(soulseer.urls)
    clear_url_caches()
    try:
        response = client.get(f"/media/private/{line.product.download.name}")
        assert response.status_code == 404
    finally:
        settings.DEBUG = False
        importlib.reload(soulseer.urls)
        clear_url_caches()
        set_urlconf(None)
