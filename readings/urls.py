from django.urls import path

from . import booking_views, message_views, views

app_name = "readings"

urlpatterns = [
    path("start/", views.start, name="start"),
    path("desk/", views.reader_desk, name="reader_desk"),
    path("desk/incoming/", views.reader_incoming, name="reader_incoming"),
    path("desk/presence/", views.reader_presence, name="reader_presence"),
    # "Call me when free": a reader's line (queue), by reader page id.
    path("queue/<int:page_id>/", views.queue_panel, name="queue_panel"),
    path("queue/<int:page_id>/join/", views.queue_join, name="queue_join"),
    path("queue/<int:page_id>/leave/", views.queue_leave, name="queue_leave"),
    path("queue/<int:page_id>/pass/", views.queue_pass, name="queue_pass"),
    # Bookings (scheduled readings): calendar by reader page id, bookings by public_id.
    path("book/<int:page_id>/", booking_views.book, name="book"),
    path("book/<int:page_id>/confirm/", booking_views.book_confirm, name="book_confirm"),
    path("bookings/", booking_views.my_bookings, name="bookings"),
    path("mine/", booking_views.my_readings, name="mine"),
    path(
        "bookings/desk-summary/",
        booking_views.reader_bookings_summary,
        name="reader_bookings_summary",
    ),
    path("bookings/<uuid:public_id>/", booking_views.booking_detail, name="booking"),
    path(
        "bookings/<uuid:public_id>/join-panel/",
        booking_views.booking_join_panel,
        name="booking_join_panel",
    ),
    path("bookings/<uuid:public_id>/join/", booking_views.booking_join, name="booking_join"),
    path("bookings/<uuid:public_id>/cancel/", booking_views.booking_cancel, name="booking_cancel"),
    path("bookings/<uuid:public_id>/accept/", booking_views.booking_accept, name="booking_accept"),
    path(
        "bookings/<uuid:public_id>/decline/", booking_views.booking_decline, name="booking_decline"
    ),
    # Messages: the inbox, threads by public_id, paid message readings by reader page id.
    path("messages/", message_views.inbox, name="message_inbox"),
    path("messages/unread/", message_views.unread_badge, name="message_unread_badge"),
    path("messages/offers/", message_views.message_offers, name="message_offers"),
    path("messages/desk/", message_views.desk_messages, name="message_desk"),
    path("messages/new/<int:page_id>/", message_views.message_new, name="message_new"),
    path(
        "messages/reader/<int:page_id>/",
        message_views.reader_page_offers,
        name="message_reader_offers",
    ),
    path(
        "messages/attachments/<uuid:public_id>/",
        message_views.message_attachment,
        name="message_attachment",
    ),
    path("messages/<uuid:public_id>/", message_views.thread_page, name="message_thread"),
    path("messages/<uuid:public_id>/send/", message_views.thread_send, name="message_send"),
    path("messages/<uuid:public_id>/reply/", message_views.thread_reply, name="message_reply"),
    path("messages/<uuid:public_id>/block/", message_views.message_block, name="message_block"),
    path(
        "messages/<uuid:public_id>/unblock/",
        message_views.message_unblock,
        name="message_unblock",
    ),
    path("<uuid:public_id>/", views.session_page, name="session"),
    path("<uuid:public_id>/status/", views.waiting_status, name="waiting_status"),
    path("<uuid:public_id>/cancel/", views.cancel, name="cancel"),
    path("<uuid:public_id>/accept/", views.accept, name="accept"),
    path("<uuid:public_id>/decline/", views.decline, name="decline"),
    path("<uuid:public_id>/end/", views.end, name="end"),
    path("<uuid:public_id>/transcript.txt", views.transcript, name="transcript"),
    path("<uuid:public_id>/media-token/", views.media_token, name="media_token"),
    path("<uuid:public_id>/notes/", views.save_note, name="save_note"),
]
