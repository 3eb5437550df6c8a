from django.urls import path

from . import views

app_name = "wallet"

urlpatterns = [
    # Wallet pages (overview, history, limits, receipts)
    path("", views.overview, name="overview"),
    path("limits/", views.update_spending_limits, name="spending_limits"),
    path("activity/<uuid:public_id>/", views.transfer_detail, name="transfer_detail"),
]
