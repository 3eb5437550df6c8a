from django.urls import path

from . import views

app_name = "shop"

# Mounted at /shop/ ahead of Wagtail's catch-all, beside the catalogue's pages (/shop/ and
# /shop/<product slug>/): these first segments are reserved product slugs (models.RESERVED_SLUGS),
# and any other path falls through to Wagtail.
urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/<int:product_id>/", views.cart_add, name="cart_add"),
    path("cart/<int:product_id>/quantity/", views.cart_quantity, name="cart_quantity"),
    path("cart/<int:product_id>/remove/", views.cart_remove, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.orders, name="orders"),
    path("orders/<uuid:public_id>/", views.order_detail, name="order"),
    path("downloads/<str:token>/", views.download, name="download"),
    path("products/<int:product_id>/buy/", views.buy_box, name="buy_box"),
]
