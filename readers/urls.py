from django.urls import path

from readers import availability_views, views

app_name = "readers"

# Mounted at /readers/ before Wagtail's catch-all; reader pages keep /readers/<slug>/.
urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("availability/", availability_views.editor, name="availability"),
    path("availability/row/", availability_views.window_row, name="availability_row"),
    path(
        "availability/exceptions/",
        availability_views.exception_add,
        name="availability_exception_add",
    ),
    path(
        "availability/exceptions/<uuid:exception_id>/remove/",
        availability_views.exception_remove,
        name="availability_exception_remove",
    ),
    path(
        "availability/auto-accept/",
        availability_views.auto_accept,
        name="availability_auto_accept",
    ),
    path("mine/", views.my_readers, name="my_readers"),
    path("status/", views.directory_status, name="directory_status"),
    path("<int:page_id>/status/", views.reader_status, name="status"),
    path("<int:page_id>/favorite/", views.favorite_toggle, name="favorite_toggle"),
    path(
        "<int:page_id>/favorite/notify/",
        views.favorite_notifications,
        name="favorite_notifications",
    ),
    path("review/<uuid:reading_id>/", views.review_create, name="review_create"),
    path("reviews/<int:review_id>/reply/", views.review_reply, name="review_reply"),
]
