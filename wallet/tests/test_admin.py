"""Staff back-office: read-only ledger listings in Wagtail admin (and Django admin)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.tests.factories import UserFactory
from wallet import services
from wallet.models import Entry, Hold, LedgerAccount, Purchase, Transfer
from wallet.tests.factories import fund_wallet, pay_reading

pytestmark = pytest.mark.django_db

MODELS = [LedgerAccount, Transfer, Entry, Hold]


def url(model, action, *args):
    return reverse(f"wallet_{model._meta.model_name}_modeladmin_{action}", args=args)


@pytest.fixture
def ledger():
    client = UserFactory(username="ann", display_name="Ann")
    reader = UserFactory(reader=True, display_name="Luna")
    fund_wallet(client, 5_000)
    reading = pay_reading(client, reader, 1_000)
    reservation = services.hold(client, 500, idempotency_key="b1", description="Booking May 3")
    return client, reader, reading, reservation


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_staff_can_list_search_and_filter_every_ledger_model(superuser_client, ledger, model):
    response = superuser_client.get(url(model, "index"))
    assert response.status_code == 200
    assert superuser_client.get(url(model, "index"), {"q": "ann"}).status_code == 200


def test_filters_narrow_the_transfer_listing(superuser_client, ledger):
    _client, _reader, reading, _hold = ledger
    response = superuser_client.get(url(Transfer, "index"), {"kind__exact": "reading"})
    body = response.content.decode()
    assert reading.description in body
    assert "Test top-up" not in body


def test_transfer_inspect_view_shows_its_legs(superuser_client, ledger):
    _client, reader, reading, _hold = ledger
    response = superuser_client.get(url(Transfer, "inspect", reading.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Legs" in body
    assert "Reader earnings" in body and "$7.00" in body and "-$10.00" in body


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_nobody_can_add_edit_or_delete_ledger_rows(superuser_client, ledger, model):
    obj = model.objects.first()
    assert superuser_client.get(url(model, "create")).status_code in (302, 403)
    assert superuser_client.get(url(model, "edit", obj.pk)).status_code in (302, 403)
    assert superuser_client.post(url(model, "delete", obj.pk)).status_code in (302, 403)
    assert model.objects.filter(pk=obj.pk).exists()
    listing = superuser_client.get(url(model, "index")).content.decode()
    assert url(model, "create") not in listing
    assert superuser_client.get(url(model, "inspect", obj.pk)).status_code == 200


def test_admin_users_without_ledger_permissions_see_nothing(client, ledger):
    editor = UserFactory()
    editor.user_permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")
    )
    client.force_login(editor)
    for model in MODELS:
        assert client.get(url(model, "index")).status_code in (302, 403)


def test_view_permission_is_enough_to_read_the_ledger(client, ledger):
    auditor = UserFactory(staff=True)
    auditor.user_permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"),
        Permission.objects.get(codename="view_transfer", content_type__app_label="wallet"),
    )
    client.force_login(auditor)
    assert client.get(url(Transfer, "index")).status_code == 200
    assert client.get(url(Hold, "index")).status_code in (302, 403)


def test_django_admin_is_read_only_for_the_ledger(superuser_client, ledger):
    assert superuser_client.get("/django-admin/wallet/transfer/").status_code == 200
    assert superuser_client.get("/django-admin/wallet/transfer/add/").status_code == 403
    transfer = Transfer.objects.first()
    page = superuser_client.get(f"/django-admin/wallet/transfer/{transfer.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_staff_find_what_a_client_bought_among_the_purchases(superuser_client):
    from wallet import sales

    purchase = sales.open_purchase(
        client=UserFactory(username="buyer"),
        seller=UserFactory(username="aurora"),
        kind=sales.SaleKind.READING,
        reference="reading:admin-listing",
        description="Chat reading with Aurora",
    )
    response = superuser_client.get(url(Purchase, "index") + "?q=admin-listing")
    assert response.status_code == 200
    assert "Chat reading with Aurora" in response.content.decode()
    inspect = url(Purchase, "inspect", purchase.pk)
    assert superuser_client.get(inspect).status_code == 200
    assert superuser_client.get(url(Purchase, "create")).status_code in (302, 403)
