"""What our code needs from Stripe that localstripe 1.15 lacks, added at the fake's edge.

Development and tests only: ``python -m soulseer.devstack localstripe`` calls ``install`` before
the server starts, so ``make run`` and the test suites get the same fake. No product module
imports this (an import-linter contract in pyproject.toml says so).

- ``Price`` (``/v1/prices``): create (for a ``product`` id or with ``product_data``), retrieve,
  update (``active``, ``metadata``, ``nickname``, ``lookup_key``, ``tax_behavior``; the amount,
  currency and product of a Stripe Price never change), list filtered by ``product``,
  ``active``, ``currency``, ``type``, ``lookup_keys``. Stripe has no way to delete a Price, and
  neither has this. ``price.created`` and ``price.updated`` events.
- ``Product`` updates read ``active`` as a boolean (localstripe stored the string "false"),
  take an empty ``description`` as "unset", and emit ``product.updated`` with
  ``previous_attributes`` when something changed, as Stripe does. ``GET
  /v1/products/<id>/features`` answers an empty list (dj-stripe asks after every Product sync).
- ``Idempotency-Key`` on POST requests: the first successful answer is replayed for the same key
  (with ``Idempotent-Replayed: true``); the same key with other parameters or on another path is
  refused with an ``idempotency_error``, and one still running with a 409, as Stripe does. The
  keys live in memory and are forgotten with the data (``DELETE /_config/data``).
"""

import hashlib
import re

from aiohttp import web
from localstripe import server
from localstripe.errors import UserError
from localstripe.resources import (
    Event,
    List,
    Product,
    StripeObject,
    try_convert_to_bool,
    try_convert_to_int,
)
from localstripe.webhooks import schedule_webhook

_type = type  # ``type`` is a Stripe parameter name below

PRICE_UPDATABLE = frozenset({"active", "metadata", "nickname", "lookup_key", "tax_behavior"})
TAX_BEHAVIORS = ("inclusive", "exclusive", "unspecified")
INTERVALS = ("day", "week", "month", "year")


def _changes(obj, data):
    """The attributes ``data`` would change on ``obj``, with their current values (Stripe's
    ``previous_attributes``); metadata keys one by one, as Stripe merges them."""
    previous = {}
    for key, value in data.items():
        if key == "metadata":
            old = getattr(obj, "metadata", None) or {}
            changed = {k: old.get(k) for k, v in (value or {}).items() if old.get(k) != v}
            if changed:
                previous["metadata"] = changed
        elif getattr(obj, key) != value:
            previous[key] = getattr(obj, key)
    return previous


def _emit_update(obj, event_type, previous):
    event = Event(event_type, obj)
    event.data["previous_attributes"] = previous
    schedule_webhook(event)


class Price(StripeObject):
    object = "price"
    _id_prefix = "price_"

    def __init__(
        self,
        currency=None,
        product=None,
        product_data=None,
        unit_amount=None,
        active=True,
        metadata=None,
        nickname=None,
        lookup_key=None,
        recurring=None,
        tax_behavior=None,
        **kwargs,
    ):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))

        unit_amount = try_convert_to_int(unit_amount)
        active = try_convert_to_bool(active)
        try:
            assert _type(currency) is str and re.fullmatch(r"[a-z]{3}", currency)
            assert (product is None) != (product_data is None)
            if product is not None:
                assert _type(product) is str and product
            else:
                assert _type(product_data) is dict and product_data.get("name")
            assert _type(unit_amount) is int and unit_amount >= 0
            assert _type(active) is bool
            assert metadata is None or _type(metadata) is dict
            assert nickname is None or _type(nickname) is str
            assert lookup_key is None or _type(lookup_key) is str
            assert tax_behavior is None or tax_behavior in TAX_BEHAVIORS
            if recurring is not None:
                assert _type(recurring) is dict and recurring.get("interval") in INTERVALS
                recurring = {
                    "interval": recurring["interval"],
                    "interval_count": try_convert_to_int(recurring.get("interval_count", 1)),
                    "usage_type": recurring.get("usage_type", "licensed"),
                }
                assert _type(recurring["interval_count"]) is int
                assert recurring["interval_count"] > 0
        except AssertionError as error:
            raise UserError(400, "Bad request") from error

        if product is not None:
            Product._api_retrieve(product)  # 404 when there is no such product
        else:
            product = Product(**product_data).id

        # All exceptions must be raised before this point.
        super().__init__()

        self.active = active
        self.billing_scheme = "per_unit"
        self.currency = currency
        self.currency_options = None
        self.custom_unit_amount = None
        self.lookup_key = lookup_key
        self.metadata = metadata or {}
        self.nickname = nickname
        self.product = product
        self.recurring = recurring
        self.tax_behavior = tax_behavior or "unspecified"
        self.tiers = None
        self.tiers_mode = None
        self.transform_quantity = None
        self.unit_amount = unit_amount

        schedule_webhook(Event("price.created", self))

    @property
    def type(self):
        return "recurring" if self.recurring else "one_time"

    @property
    def unit_amount_decimal(self):
        return str(self.unit_amount)

    @classmethod
    def _api_update(cls, id, **data):
        unknown = set(data) - PRICE_UPDATABLE
        if unknown:
            raise UserError(400, "Received unknown parameter: " + ", ".join(sorted(unknown)))
        if "active" in data:
            data["active"] = try_convert_to_bool(data["active"])
            if _type(data["active"]) is not bool:
                raise UserError(400, "Bad request")
        if data.get("tax_behavior") not in (None, *TAX_BEHAVIORS):
            raise UserError(400, "Bad request")
        obj = cls._api_retrieve(id)
        previous = _changes(obj, data)
        obj._update(**data)
        if previous:
            _emit_update(obj, "price.updated", previous)
        return obj

    @classmethod
    def _api_delete(cls, id):
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_list_all(
        cls,
        url,
        active=None,
        product=None,
        currency=None,
        type=None,
        lookup_keys=None,
        limit=None,
        starting_after=None,
        **kwargs,
    ):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        active = try_convert_to_bool(active)
        if isinstance(lookup_keys, str):
            lookup_keys = [lookup_keys]
        try:
            assert active is None or _type(active) is bool
            assert product is None or _type(product) is str
            assert currency is None or _type(currency) is str
            assert type in (None, "one_time", "recurring")
            assert lookup_keys is None or _type(lookup_keys) is list
        except AssertionError as error:
            raise UserError(400, "Bad request") from error

        li = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        checks = (
            (active, lambda price: price.active == active),
            (product, lambda price: price.product == product),
            (currency, lambda price: price.currency == currency),
            (type, lambda price: price.type == type),
            (lookup_keys, lambda price: price.lookup_key in lookup_keys),
        )
        for value, keep in checks:
            if value is not None:
                li._list = [price for price in li._list if keep(price)]
        return li


def _update_product(cls, id, **data):
    if "active" in data:
        data["active"] = try_convert_to_bool(data["active"])
        if _type(data["active"]) is not bool:
            raise UserError(400, "Bad request")
    if "name" in data and not (_type(data["name"]) is str and data["name"]):
        raise UserError(400, "Bad request")
    if data.get("description") == "":
        data["description"] = None
    obj = cls._api_retrieve(id)
    previous = _changes(obj, data)
    obj._update(**data)
    if previous:
        _emit_update(obj, "product.updated", previous)
    return obj


async def _list_product_features(request):
    Product._api_retrieve(request.match_info["id"])  # 404 when there is no such product
    return server.json_response(List(request.path)._export())


# Idempotency keys -------------------------------------------------------------------------------

_answers = {}  # key -> (fingerprint, status, body)
_running = set()


def _fingerprint(request, body):
    return hashlib.sha256(request.method.encode() + request.path.encode() + b"\0" + body).digest()


def _stripe_error(status, type_, message):
    return server.json_response({"error": {"type": type_, "message": message}}, status=status)


@web.middleware
async def idempotency_middleware(request, handler):
    if request.method == "DELETE" and request.path == "/_config/data":
        _answers.clear()
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or request.path.startswith("/_config/"):
        return await handler(request)

    fingerprint = _fingerprint(request, await request.read())
    if key in _answers:
        first, status, body = _answers[key]
        if first != fingerprint:
            return _stripe_error(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
            )
        return web.Response(
            body=body,
            status=status,
            content_type="application/json",
            headers={"Idempotent-Replayed": "true", "Idempotency-Key": key},
        )
    if key in _running:
        return _stripe_error(
            409,
            "idempotency_error",
            "There is currently another in-progress request using this Idempotency-Key; "
            "retry later.",
        )
    _running.add(key)
    try:
        response = await handler(request)
    finally:
        _running.discard(key)
    if 200 <= response.status < 300 and isinstance(response, web.Response):
        _answers[key] = (fingerprint, response.status, response.body)
    return response


# Installation -----------------------------------------------------------------------------------

_installed = False


def install(app):
    """Add the Price resource, Product updates with events and idempotency keys to localstripe's
    ``app`` (before it starts: aiohttp freezes routes and middlewares then)."""
    global _installed
    if _installed:
        return
    _installed = True
    Product._api_update = classmethod(_update_product)
    app.middlewares.append(idempotency_middleware)
    app.router.add_get("/v1/products/{id}/features", _list_product_features)
    url = "/v1/prices"
    app.router.add_post(url, server.api_create(Price, url))
    app.router.add_get(url + "/{id}", server.api_retrieve(Price, url))
    app.router.add_post(url + "/{id}", server.api_update(Price, url))
    app.router.add_get(url, server.api_list_all(Price, url))
