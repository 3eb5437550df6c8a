from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from home import views as home_views
from search import views as search_views
from wallet.webhooks import StripeWebhookView

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("accounts.urls")),
    path("wallet/", include("wallet.urls", namespace="wallet")),
    path("readers/", include("readers.urls", namespace="readers")),
    path("readings/", include("readings.urls", namespace="readings")),
    # The cart, checkout, orders and downloads, beside the Wagtail shop pages under /shop/ (a
    # path none of these match falls through to Wagtail below).
    path("shop/", include("shop.urls", namespace="shop")),
    path("community/", include("community.urls", namespace="community")),
    path("", include("social_django.urls", namespace="social")),
    # Ahead of dj-stripe's own route for the same path (see StripeWebhookView).
    path("stripe/webhook/<uuid:uuid>/", StripeWebhookView.as_view(), name="stripe_webhook"),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("search/", search_views.search, name="search"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("favicon.ico", home_views.favicon, name="favicon"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.urls import re_path

    # The private storage (shop downloads) lives under MEDIA_ROOT/private/ in development: the
    # media route must never hand those files out.
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.strip('/')}/private/", home_views.page_not_found),
        *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
    ]

urlpatterns += [path("", include(wagtail_urls))]

handler404 = "home.views.page_not_found"
handler500 = "home.views.server_error"
