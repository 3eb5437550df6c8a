from django.urls import path

from . import views

app_name = "wallet"

urlpatterns = [
    # Wallet pages (overview, history, limits, receipts)
    path("", views.overview, name="overview"),
    path("limits/", views.update_spending_limits, name="spending_limits"),
    path("statement.csv", views.statement_csv, name="statement_csv"),
    path("activity/<uuid:public_id>/", views.transfer_detail, name="transfer_detail"),
    path("purchases/<uuid:public_id>/", views.purchase_detail, name="purchase_detail"),
    path(
        "purchases/<uuid:public_id>/movements/",
        views.purchase_movements,
        name="purchase_movements",
    ),
    # Top-ups, saved cards, auto-reload and payouts (Stripe flows)
    path("topup/", views.topup, name="topup"),
    path("redeem/", views.redeem, name="redeem"),
    path("topup/<uuid:public_id>/", views.topup_status, name="topup_status"),
    path("cards/", views.cards, name="cards"),
    path("cards/setup/", views.card_setup, name="card_setup"),
    path("cards/save/", views.card_save, name="card_save"),
    path("cards/<str:payment_method_id>/remove/", views.card_remove, name="card_remove"),
    path("auto-reload/", views.autoreload, name="autoreload"),
    path("payouts/", views.payout, name="payout"),
    path("payouts/onboard/", views.payout_onboard, name="payout_onboard"),
    path("payouts/onboard/refresh/", views.payout_onboard_refresh, name="payout_onboard_refresh"),
    path("payouts/return/", views.payout_return, name="payout_return"),
]
