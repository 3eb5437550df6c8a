"""Settings shared by every environment.

Every secret and service URL comes from the environment. ``dev.py`` and ``test.py`` fill in local
defaults; ``production.py`` refuses to start when a required variable is missing.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Project apps first so their templates and static files win.
    "home",
    "demo",
    "accounts",
    "readers",
    "readings",
    "wallet",
    "shop",
    "community",
    "search",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    # Third party
    "csp",
    "channels",
    "django_htmx",
    "djstripe",
    "social_django",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "home.http.RejectDisallowedHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the page cache, so a stored page is answered with a fresh nonce (home.page_cache).
    "home.csp.ContentSecurityPolicyMiddleware",
    # Before sessions: a stored page for an anonymous visitor costs no session, user or query.
    "home.page_cache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "social_django.middleware.SocialAuthExceptionMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "soulseer.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "social_django.context_processors.backends",
                "home.context_processors.site_chrome",
            ],
        },
    },
]

WSGI_APPLICATION = "soulseer.wsgi.application"
ASGI_APPLICATION = "soulseer.asgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/soulseer"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "0")),
    )
}
# psycopg prepares a statement bound server-side from its Nth use on a connection on. Only the
# ledger's statements bind server-side (soulseer.db.bulk_cursor); the ORM binds client-side
# and never prepares. Planning the one-statement transfer cost more than running it (measured:
# 287 -> 443 transfers/s on one connection). Behind a transaction-pooling PgBouncer, which
# cannot keep prepared statements, set DB_PREPARE_THRESHOLD=off.
_prepare = env("DB_PREPARE_THRESHOLD", "1")
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
    None if _prepare.lower() == "off" else int(_prepare)
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # What the shop sells as downloads and files sent with messages, in MEDIA_ROOT/private/. No
    # public URL: a file is read only by its app's view, after it checked who asks (the shop's
    # download view checks a signed link against a paid order)
    # (in development the media route refuses /media/private/, see soulseer.urls).
    "private": {"BACKEND": "home.storage.PrivateFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Media on S3/R2 when a bucket is configured (works in any environment).
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME")
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL")  # R2 / MinIO
    AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN")
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = env_bool("AWS_QUERYSTRING_AUTH", True)
    AWS_S3_FILE_OVERWRITE = False
    # Presigned links signed with SigV4: R2 accepts nothing else, and S3 refuses SigV2 in newer
    # regions (botocore would still presign SigV2 for us-east-1 unless told).
    AWS_S3_SIGNATURE_VERSION = env("AWS_S3_SIGNATURE_VERSION", "s3v4")
    # Downloads sold in the shop: private objects, reached only through presigned links the
    # shop hands out for a few minutes (never the public custom domain). Another bucket may be
    # named for them; a bucket whose policy makes objects public must not hold them.
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_PRIVATE_STORAGE_BUCKET_NAME", AWS_STORAGE_BUCKET_NAME),
            "location": "private",
            "default_acl": "private",
            "querystring_auth": True,
            "custom_domain": None,
            "file_overwrite": False,
        },
    }

# Uploads: keep request bodies bounded; images are validated by Wagtail/Pillow.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 8 * 1024 * 1024
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]

# Redis: cache, Celery broker/results, Channels layer.
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHE_URL = env("CACHE_URL", REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "soulseer"),
    }
}
# Between messages channels-redis waits in a BZPOPMIN that blocks for 5 s
# (RedisChannelLayer.brpop_timeout), and redis-py 8 bounds every read by a 5 s socket timeout
# by default. With equal limits an idle room's wait races the timeout, the consumer dies with
# TimeoutError and its WebSocket drops; so reads get longer than the pop, with room to spare.
# A socket_timeout in the URL's query would override this (redis-py lets the URL win).
CHANNELS_REDIS_SOCKET_TIMEOUT = 15
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": env("CHANNELS_REDIS_URL", REDIS_URL),
                    "socket_timeout": CHANNELS_REDIS_SOCKET_TIMEOUT,
                }
            ]
        },
    }
}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Readings: one set-based sweep bills every active session (no per-session tasks).
    "readings-charge-due-minutes": {
        "task": "readings.tasks.charge_due_minutes",
        "schedule": 10.0,
        "options": {"expires": 9},
    },
    "readings-sweep-timeouts": {
        "task": "readings.tasks.sweep_reading_timeouts",
        "schedule": 10.0,
        "options": {"expires": 9},
    },
    # Bookings: expire unanswered requests, apply no-shows, end booked readings at their end.
    "readings-sweep-bookings": {
        "task": "readings.tasks.sweep_bookings",
        "schedule": 30.0,
        "options": {"expires": 29},
    },
    # Messages: paid questions past their deadline are released; readers are reminded first.
    "readings-expire-message-requests": {
        "task": "readings.tasks.expire_message_requests",
        "schedule": 60.0,
        "options": {"expires": 59},
    },
    "readings-remind-message-requests": {
        "task": "readings.tasks.remind_message_requests",
        "schedule": 300.0,
        "options": {"expires": 299},
    },
    # Shop: card orders whose payment never came are cancelled (a late payment is refunded).
    "shop-cancel-abandoned-card-orders": {
        "task": "shop.tasks.cancel_abandoned_card_orders",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
}

# Readings engine.
MIN_START_MINUTES = int(env("MIN_START_MINUTES", "1"))
READING_REQUEST_TIMEOUT_SECONDS = int(env("READING_REQUEST_TIMEOUT_SECONDS", "60"))
READING_RECONNECT_GRACE_SECONDS = int(env("READING_RECONNECT_GRACE_SECONDS", "300"))
READING_QUEUE_OFFER_SECONDS = int(env("READING_QUEUE_OFFER_SECONDS", "60"))
# An online reader goes offline when no open desk has polled for this long (a hidden browser
# tab may poll only once a minute, so keep it well above 60).
READER_PRESENCE_TIMEOUT_SECONDS = int(env("READER_PRESENCE_TIMEOUT_SECONDS", "120"))

# Bookings (readings.bookings, readers.availability). Written here so the rules the client is
# shown ("free cancellation until ...") and the rules applied are the same numbers.
# Lengths a client may book, in minutes; the price is the channel's per-minute rate x length.
BOOKING_LENGTHS = (15, 30, 45, 60)
# Slots are offered on this grid (minutes past the hour in the reader's zone).
BOOKING_SLOT_STEP_MINUTES = 15
# A slot must start at least this far ahead, so the reader has time to see and accept it.
BOOKING_MIN_NOTICE_MINUTES = int(env("BOOKING_MIN_NOTICE_MINUTES", "120"))
# How far ahead clients may book.
BOOKING_MAX_DAYS_AHEAD = int(env("BOOKING_MAX_DAYS_AHEAD", "60"))
# A request the reader has not answered this long before the start expires (hold released).
# Must stay below BOOKING_MIN_NOTICE_MINUTES or a short-notice booking could never be accepted.
BOOKING_ACCEPT_DEADLINE_MINUTES = int(env("BOOKING_ACCEPT_DEADLINE_MINUTES", "30"))
# A client may cancel for free until this many hours before the start ...
BOOKING_FREE_CANCEL_HOURS = int(env("BOOKING_FREE_CANCEL_HOURS", "24"))
# ... after that this share of the price is charged (reader/platform split like readings) and
# the rest released. A reader cancelling always releases everything to the client.
BOOKING_LATE_CANCEL_PERCENT = int(env("BOOKING_LATE_CANCEL_PERCENT", "50"))
# Both sides can join this many minutes before the start.
BOOKING_JOIN_EARLY_MINUTES = int(env("BOOKING_JOIN_EARLY_MINUTES", "5"))
# Who has not joined this long after the start is a no-show: an absent reader releases the
# whole hold (and counts as a missed request); an absent client (reader present) pays this share.
BOOKING_NO_SHOW_GRACE_MINUTES = int(env("BOOKING_NO_SHOW_GRACE_MINUTES", "10"))
BOOKING_CLIENT_NO_SHOW_PERCENT = int(env("BOOKING_CLIENT_NO_SHOW_PERCENT", "100"))

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# A password reset link works for this long (and once: the token changes with the password).
PASSWORD_RESET_TIMEOUT = 3 * 3600
# site.js reads the token from this cookie for HTMX requests, so pages without forms need not
# render one (which would make every page per-visitor and uncacheable).
CSRF_COOKIE_HTTPONLY = False

# Whole-page cache of Wagtail pages for anonymous visitors (home.page_cache): seconds a page is
# kept (forgotten at once on publish), at most LIVE seconds for pages ordered by presence (home,
# directory) and for query-string variants, and the browser's max-age (0: always revalidate).
PAGE_CACHE_SECONDS = int(env("PAGE_CACHE_SECONDS", "600"))
PAGE_CACHE_LIVE_SECONDS = int(env("PAGE_CACHE_LIVE_SECONDS", "15"))
PAGE_CACHE_BROWSER_SECONDS = int(env("PAGE_CACHE_BROWSER_SECONDS", "0"))

# Authentication: local username/password always; Auth0 when AUTH0_* is configured.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:after_login"
LOGOUT_REDIRECT_URL = "/"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
SOCIAL_AUTH_AUTH0_DOMAIN = env("AUTH0_DOMAIN")
SOCIAL_AUTH_AUTH0_KEY = env("AUTH0_KEY")
SOCIAL_AUTH_AUTH0_SECRET = env("AUTH0_SECRET")
AUTH0_ENABLED = bool(
    SOCIAL_AUTH_AUTH0_DOMAIN and SOCIAL_AUTH_AUTH0_KEY and SOCIAL_AUTH_AUTH0_SECRET
)
if AUTH0_ENABLED:
    AUTHENTICATION_BACKENDS.insert(0, "social_core.backends.auth0.Auth0OAuth2")
SOCIAL_AUTH_USER_MODEL = AUTH_USER_MODEL
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/accounts/start/"
SOCIAL_AUTH_LOGIN_ERROR_URL = "/accounts/login/"
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_FORCE_EMAIL_LOWERCASE = True
# Names come from the provider on the first login only; later profile edits stick.
SOCIAL_AUTH_IMMUTABLE_USER_FIELDS = ["first_name", "last_name"]
# Rate limits key on the client IP: the Nth X-Forwarded-For entry from the right behind N proxies.
RATELIMIT_TRUSTED_PROXY_COUNT = int(env("RATELIMIT_TRUSTED_PROXY_COUNT", "0"))
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.social_auth.social_names",
    "social_core.pipeline.user.get_username",
    # Not social_core's associate_by_email: it trusts unverified emails (account takeover).
    "accounts.pipeline.associate_by_verified_email",
    "social_core.pipeline.user.create_user",
    "accounts.pipeline.set_initial_role",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
)

# Wagtail
WAGTAIL_SITE_NAME = "SoulSeer"
WAGTAILADMIN_BASE_URL = env("SITE_URL", "http://127.0.0.1:8000")
SITE_URL = WAGTAILADMIN_BASE_URL
WAGTAILSEARCH_BACKENDS = {
    # Switch to OpenSearch/Elasticsearch by setting SEARCH_URL, e.g. https://user:pass@host:9200
    "default": {"BACKEND": "wagtail.search.backends.database"},
}
if env("SEARCH_URL"):
    WAGTAILSEARCH_BACKENDS["default"] = {
        "BACKEND": "wagtail.search.backends.elasticsearch8",
        "URLS": [env("SEARCH_URL")],
        "INDEX": env("SEARCH_INDEX", "soulseer"),
    }
WAGTAILDOCS_EXTENSIONS = ["pdf", "zip", "mp3", "epub", "txt"]

# Stripe (dj-stripe). Development points at a local localstripe server through STRIPE_API_HOST.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_LIVE_MODE = env_bool("STRIPE_LIVE_MODE", False)
STRIPE_TEST_SECRET_KEY = STRIPE_SECRET_KEY
STRIPE_LIVE_SECRET_KEY = STRIPE_SECRET_KEY if STRIPE_LIVE_MODE else ""
STRIPE_API_HOST = env("STRIPE_API_HOST", "https://api.stripe.com")
STRIPE_JS_URL = env("STRIPE_JS_URL", "https://js.stripe.com/v3/")
DJSTRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True

# Wallet money flows (amounts in cents).
WALLET_CURRENCY = "usd"
WALLET_TOPUP_PRESETS_CENTS = [1000, 2500, 5000, 10000]
WALLET_TOPUP_MIN_CENTS = int(env("WALLET_TOPUP_MIN_CENTS", "500"))
WALLET_TOPUP_MAX_CENTS = int(env("WALLET_TOPUP_MAX_CENTS", "50000"))
WALLET_PAYOUT_MIN_CENTS = int(env("WALLET_PAYOUT_MIN_CENTS", "2500"))
WALLET_AUTO_RELOAD_MAX_PER_DAY = int(env("WALLET_AUTO_RELOAD_MAX_PER_DAY", "5"))

# The shop. Downloads: the largest file a product may carry, how many times a buyer may download
# each one they paid for, and how long a download link works.
SHOP_DOWNLOAD_MAX_BYTES = int(env("SHOP_DOWNLOAD_MAX_BYTES", str(200 * 1024 * 1024)))
SHOP_DOWNLOAD_LIMIT = int(env("SHOP_DOWNLOAD_LIMIT", "5"))
SHOP_DOWNLOAD_LINK_SECONDS = 300
# Messages (readings.messaging). Free follow-ups stay open this long after a paid reply.
MESSAGE_FOLLOW_UP_DAYS = int(env("MESSAGE_FOLLOW_UP_DAYS", "7"))
MESSAGE_MAX_CHARS = 5000
# Attachments: images, audio and PDF, checked by content; at most this many bytes each.
MESSAGE_ATTACHMENT_MAX_BYTES = int(env("MESSAGE_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
MESSAGE_ATTACHMENTS_PER_MESSAGE = 3
# The reader is reminded when a paid request's deadline is this close.
MESSAGE_REMINDER_HOURS = 2

# Forum (community.services): posts (threads included) per person per hour; accounts less than
# a day old or never topped up get the second, tighter limit.
FORUM_POSTS_PER_HOUR = int(env("FORUM_POSTS_PER_HOUR", "30"))
FORUM_NEW_ACCOUNT_POSTS_PER_HOUR = int(env("FORUM_NEW_ACCOUNT_POSTS_PER_HOUR", "5"))
FORUM_PAGE_SIZE = 20
# Reports from this many different people hide a post or thread until a moderator looks.
FORUM_AUTO_HIDE_REPORTS = int(env("FORUM_AUTO_HIDE_REPORTS", "3"))

# A card order still unpaid this long after it was placed is cancelled.
SHOP_CARD_ORDER_HOURS = int(env("SHOP_CARD_ORDER_HOURS", "24"))

# Agora RTC (voice/video). Empty means voice/video are hidden and chat still works.
AGORA_APP_ID = env("AGORA_APP_ID", "")
AGORA_APP_CERTIFICATE = env("AGORA_CERTIFICATE", env("AGORA_APP_CERTIFICATE", ""))

DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "SoulSeer <hello@soulseer.local>")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Content-Security-Policy (django-csp; home.csp adds per-page sources). Every script is a file
# from our origin or an inline <script nonce="{{ request.csp_nonce }}">; no eval, no inline
# event handlers (site.js replaces hx-on), no <style> elements: htmx's indicator <style> is
# switched off in base.html (site.css has the rules). Style *attributes* stay allowed
# (style-src-attr): templates draw bars and stars with style="width: N%", Wagtail's admin and
# Stripe/Agora set them too; an attribute cannot run script or load anything, unlike <style>.
# CSP_REPORT_ONLY=1 in the environment sends the same policy as Content-Security-Policy-Report-Only:
# browsers report violations (to CSP_REPORT_URI when set, and in the console) and block nothing.
# Not named CSP_*: django-csp 4 refuses to start (csp.E001) when it sees its 3.x setting names.
SECURITY_POLICY_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
SECURITY_POLICY_REPORT_URI = env("CSP_REPORT_URI", "")


def _origin(url):
    scheme, _, rest = (url or "").partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}" if scheme and host else None


_csp_img_src = [SELF, "data:"]  # data: for the SVG icons site.css inlines (form controls)
if AWS_STORAGE_BUCKET_NAME:
    # Uploaded images are served from the bucket's own host.
    if AWS_S3_CUSTOM_DOMAIN:
        _csp_img_src.append(f"https://{AWS_S3_CUSTOM_DOMAIN}")
    elif AWS_S3_ENDPOINT_URL:
        _csp_img_src.append(_origin(AWS_S3_ENDPOINT_URL))
    else:
        _csp_img_src.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com")
        if AWS_S3_REGION_NAME:
            _csp_img_src.append(
                f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{AWS_S3_REGION_NAME}.amazonaws.com"
            )
_csp_media_src = [SELF]
if AWS_STORAGE_BUCKET_NAME:
    # Message attachments (images shown in a thread, audio played there) are presigned links to
    # the private bucket's own host, never the public custom domain.
    _private_bucket = STORAGES["private"]["OPTIONS"]["bucket_name"]
    if AWS_S3_ENDPOINT_URL:
        _private_origins = [_origin(AWS_S3_ENDPOINT_URL)]
    else:
        _private_origins = [f"https://{_private_bucket}.s3.amazonaws.com"]
        if AWS_S3_REGION_NAME:
            _private_origins.append(
                f"https://{_private_bucket}.s3.{AWS_S3_REGION_NAME}.amazonaws.com"
            )
    _csp_img_src += [origin for origin in _private_origins if origin not in _csp_img_src]
    _csp_media_src += _private_origins
_csp_form_action = [SELF]
if AUTH0_ENABLED:
    # "Continue with Auth0" posts to us and is redirected to the tenant; Chromium applies
    # form-action to that redirect.
    _csp_form_action.append(f"https://{SOCIAL_AUTH_AUTH0_DOMAIN}")
SECURITY_POLICY_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF],
    "style-src-attr": [UNSAFE_INLINE],
    "img-src": _csp_img_src,
    "font-src": [SELF],
    # 'self' covers the reading room's ws:/wss: to the same host (CSP Level 3 matches the
    # WebSocket schemes of the page's origin).
    "connect-src": [SELF],
    # Readers' introduction videos (readers.video.embed_url).
    "frame-src": [SELF, "https://www.youtube-nocookie.com", "https://player.vimeo.com"],
    "media-src": _csp_media_src,
    "worker-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": _csp_form_action,
    # Same as X_FRAME_OPTIONS: Wagtail's preview frames our pages inside the admin.
    "frame-ancestors": [SELF],
}
if SECURITY_POLICY_REPORT_URI:
    SECURITY_POLICY_DIRECTIVES["report-uri"] = [SECURITY_POLICY_REPORT_URI]
if SECURITY_POLICY_REPORT_ONLY:
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": SECURITY_POLICY_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": SECURITY_POLICY_DIRECTIVES}
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# Security defaults that are safe everywhere.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "SAMEORIGIN"
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
