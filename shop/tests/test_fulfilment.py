"""Staff mark a paid order as sent from Wagtail admin: audited, the buyer told, once."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail

from accounts.tests.factories import UserFactory
from home.models import AuditEvent
from shop import services
from shop.errors import OrderNotSendable
from shop.models import Order
from shop.tests.factories import ADDRESS, digital, order, physical
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db


def _paid_physical_order(shop):
    buyer = UserFactory(email="ann@example.com")
    fund_wallet(buyer, 10_000)
    return order(buyer, physical(shop), shipping=ADDRESS)


def _staff(*codenames):
    user = UserFactory(staff=True)
    admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    group = Group.objects.create(name=f"order staff {user.pk}")
    group.permissions.add(admin, *Permission.objects.filter(codename__in=codenames))
    user.groups.add(group)
    return user


def test_staff_mark_a_paid_order_as_sent_and_the_buyer_is_told(
    client, shop, django_capture_on_commit_callbacks
):
    paid = _paid_physical_order(shop)
    staff = _staff("view_order", "change_order")
    client.force_login(staff)
    listing = client.get("/admin/shop/order/").content.decode()
    assert "Mark as sent" in listing
    url = f"/admin/shop/orders/{paid.public_id}/fulfil/"
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert Order.objects.get(pk=paid.pk).state == Order.State.FULFILLED
    event = AuditEvent.objects.get(action="order.fulfilled", target_id=str(paid.pk))
    assert event.actor == staff
    assert mail.outbox[-1].to == ["ann@example.com"] and "on its way" in mail.outbox[-1].subject


def test_an_order_is_sent_once_and_only_when_paid(shop):
    paid = _paid_physical_order(shop)
    staff = UserFactory(staff=True)
    services.fulfil(paid, staff)
    with pytest.raises(OrderNotSendable):
        services.fulfil(paid, staff)
    buyer = UserFactory()
    fund_wallet(buyer, 5_000)
    downloads = order(buyer, digital(shop))  # complete at once: nothing to send
    with pytest.raises(OrderNotSendable):
        services.fulfil(downloads, staff)


def test_staff_without_the_change_permission_cannot_mark_orders(client, shop):
    paid = _paid_physical_order(shop)
    client.force_login(_staff("view_order"))
    response = client.post(f"/admin/shop/orders/{paid.public_id}/fulfil/")
    # Wagtail answers a refused admin view by sending the user back to the dashboard.
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert Order.objects.get(pk=paid.pk).state == Order.State.PAID


def test_staff_export_the_orders_as_csv_with_formulas_made_harmless(client, shop):
    import csv
    import io

    buyer = UserFactory(username="=HYPERLINK(evil)")
    fund_wallet(buyer, 10_000)
    paid = order(buyer, physical(shop, price_cents=3400), shipping=ADDRESS)
    client.force_login(_staff("view_order"))
    response = client.get("/admin/shop/order/?export=csv&state=paid")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["Order", "Created", "Paid", "State", "Total (USD)"]
    row = next(r for r in rows[1:] if r[0] == str(paid.public_id))
    assert row[4] == "34.00" and row[5] == "1"
    assert row[6] == "'=HYPERLINK(evil)"
