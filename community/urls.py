from django.urls import path

from . import views

app_name = "community"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("report/<str:kind>/<str:ref>/", views.report, name="report"),
    path("t/<uuid:public_id>/", views.thread, name="thread"),
    path("t/<uuid:public_id>/follow/", views.subscribe, name="subscribe"),
    path("t/<uuid:public_id>/posts/<int:post_id>/react/", views.react, name="react"),
    path("<slug:slug>/", views.board, name="board"),
]
