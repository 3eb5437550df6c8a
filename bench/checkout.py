"""Shop checkout throughput: wallet checkouts/s through ``shop.services.checkout_with_wallet``,
beside pgbench running a checkout-shaped SQL transaction (and tpcb-like) in the same run.

Set-up (not timed): a shop with digital products and physical ones with stock, some sold by
SoulSeer and most by seller readers; fresh buyers whose wallets are opened and funded through
``wallet.services`` (top-up transfers), each with a cart of 1-3 products (always one of a
seller reader's) filled through ``shop.services.add_to_cart``. Timed: every buyer checks out once
(``checkout_with_wallet``, shipping given), spread over W forked worker processes (own
connection each) that connect first and start together. checkouts/s = paid checkouts / wall
time from the common start to the last worker's end; tries/s counts the refused ones too; ms each
= one worker's mean time per try; ratio = checkouts/s / pgbench tps with as many clients.

Scenarios, each with 1, 2 and 4 workers:
- open:   random carts over the whole catalogue (physical stock far above demand);
- scarce: every cart also holds one of two hot physical items whose stock covers half the
          buyers, so workers race for the same rows and half the checkouts are refused as sold
          out (refusals are counted apart; the script checks nothing was oversold).

Usage: .venv/bin/python bench/checkout.py [--buyers 200] [--workers 1,2,4] [--seconds 5]
       [--scenarios open,scarce]
(``--buyers`` per measurement; ``--seconds``: each pgbench run.)
"""

import argparse
import logging
import multiprocessing
import os
import random
import time
import uuid
from types import SimpleNamespace

import _django

_django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from wagtail.models import Page  # noqa: E402

from accounts.models import User  # noqa: E402
from home.models import HomePage  # noqa: E402
from shop import services as shop  # noqa: E402
from shop.errors import NotEnoughStock, SoldOut  # noqa: E402
from shop.models import OrderLine, ProductPage, ShopIndexPage  # noqa: E402
from wallet import services as ledger  # noqa: E402
from wallet.models import LedgerAccount, Transfer  # noqa: E402

RUN = uuid.uuid4().hex[:8]
ADDRESS = {
    "name": "Bench Buyer",
    "line1": "1 Load Street",
    "city": "Asheville",
    "postcode": "28801",
    "country": "United States",
}
READERS = 10
DIGITAL, PHYSICAL = 30, 10
HOT_ITEMS = 2

# pgbench's comparable transaction: what one two-item checkout must write at the least, as plain
# SQL without Django, triggers or the ledger's checks. The cart row locked, the idempotency key
# looked up, the cart read, the products locked in id order and their stock taken, the order and
# its lines, the purchase, the transfer with its three entries and balances (the buyer's wallet,
# the reader's earnings, the platform's revenue: a row every checkout updates, as in the ledger),
# three audit events, the order marked paid, the cart emptied.
PGBENCH_INIT = """
CREATE TABLE cart (id int PRIMARY KEY, updated_at timestamptz);
CREATE TABLE cart_line (cart int, product int, quantity int);
CREATE INDEX ON cart_line (cart);
CREATE TABLE product (id int PRIMARY KEY, price int, stock int);
CREATE TABLE orders (id bigserial PRIMARY KEY, buyer int, total int, checkout_key text,
                     state text DEFAULT 'pending', purchase bigint, paid_at timestamptz,
                     UNIQUE (buyer, checkout_key));
CREATE TABLE order_line (id bigserial PRIMARY KEY, order_id bigint, product int, cents int,
                         seller int);
CREATE TABLE purchase (id bigserial PRIMARY KEY, client int, reference text UNIQUE,
                       created_at timestamptz DEFAULT now());
CREATE TABLE transfer (id bigserial PRIMARY KEY, purchase bigint, idempotency_key text UNIQUE);
CREATE TABLE entry (id bigserial PRIMARY KEY, transfer bigint, account int, amount int);
CREATE TABLE account (id int PRIMARY KEY, balance bigint CHECK (balance >= 0 OR id = 0));
CREATE TABLE event (id bigserial PRIMARY KEY, action text, target bigint, data jsonb,
                    created_at timestamptz DEFAULT now());
INSERT INTO cart SELECT g, now() FROM generate_series(1, 10000) g;
INSERT INTO cart_line SELECT g, 1 + g % 40, 1 FROM generate_series(1, 10000) g;
INSERT INTO product SELECT g, 900, 100000000 FROM generate_series(1, 40) g;
INSERT INTO account SELECT g, 1000000000 FROM generate_series(1, 10000) g;
INSERT INTO account SELECT 1000000 + g, 0 FROM generate_series(1, 10) g;
INSERT INTO account VALUES (0, 1000000000000);
"""
PGBENCH_SCRIPT = r"""
\set buyer random(1, 10000)
\set p1 random(1, 20)
\set p2 random(21, 40)
\set reader random(1, 10)
BEGIN;
SELECT id FROM cart WHERE id = :buyer FOR UPDATE;
SELECT id FROM orders WHERE buyer = :buyer AND checkout_key = 'bench';
SELECT product, quantity FROM cart_line WHERE cart = :buyer;
SELECT id, price, stock FROM product WHERE id IN (:p1, :p2) ORDER BY id FOR UPDATE;
UPDATE product SET stock = stock - 1 WHERE id IN (:p1, :p2);
INSERT INTO orders (buyer, total, checkout_key) VALUES (:buyer, 1800, md5(random()::text))
  RETURNING id AS order_id \gset
INSERT INTO order_line (order_id, product, cents, seller)
  VALUES (:order_id, :p1, 900, :reader), (:order_id, :p2, 900, NULL);
INSERT INTO purchase (client, reference) VALUES (:buyer, 'order:' || :order_id)
  RETURNING id AS purchase_id \gset
INSERT INTO transfer (purchase, idempotency_key)
  VALUES (:purchase_id, 'order:' || :order_id || ':pay') RETURNING id AS transfer_id \gset
INSERT INTO entry (transfer, account, amount) VALUES
  (:transfer_id, :buyer, -1800), (:transfer_id, 1000000 + :reader, 567), (:transfer_id, 0, 1233);
UPDATE account SET balance = balance - 1800 WHERE id = :buyer;
UPDATE account SET balance = balance + 567 WHERE id = 1000000 + :reader;
UPDATE account SET balance = balance + 1233 WHERE id = 0;
INSERT INTO event (action, target, data) VALUES ('order.paid', :order_id, '{}'),
  ('wallet.sale_charged', :purchase_id, '{}'), ('order.fulfilled', :order_id, '{}');
UPDATE orders SET state = 'fulfilled', purchase = :purchase_id, paid_at = now()
  WHERE id = :order_id;
DELETE FROM cart_line WHERE cart = :buyer;
UPDATE cart SET updated_at = now() WHERE id = :buyer;
END;
"""
# Statements between BEGIN and END (each ends with ";" or with \gset).
PGBENCH_STATEMENTS = PGBENCH_SCRIPT.count(";") + PGBENCH_SCRIPT.count("\\gset") - 2


def shop_index():
    """The site's shop index (made, with a home page, when the database has none)."""
    index = ShopIndexPage.objects.first()
    if index is not None:
        return index
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = root.add_child(
            instance=HomePage(title="Home", slug=f"bench-home-{RUN}", hero_title="Clarity")
        )
    return home.add_child(instance=ShopIndexPage(title="Shop", slug="shop"))


def make_users(prefix, count, role):
    return User.objects.bulk_create(
        [
            User(
                username=f"{prefix}-{RUN}-{i}",
                email=f"{prefix}-{RUN}-{i}@bench.invalid",
                role=role,
                display_name=f"{prefix} {i}",
            )
            for i in range(count)
        ],
        batch_size=2000,
    )


def make_catalogue():
    """``(sold_by_readers, sold_by_soulseer)`` products; readers' earnings accounts opened
    (through the wallet, as a first sale would) so no measured checkout opens one."""
    index = shop_index()
    readers = make_users("bench-seller", READERS, "reader")
    for reader in readers:
        ledger.earnings_of(reader)
    ledger.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)
    products = []
    for i in range(DIGITAL + PHYSICAL):
        physical = i >= DIGITAL
        product = ProductPage(
            title=f"Bench {'deck' if physical else 'meditation'} {i}",
            slug=f"bench-{RUN}-{i}",
            kind=ProductPage.Kind.PHYSICAL if physical else ProductPage.Kind.DIGITAL,
            price_cents=500 + 100 * (i % 20),
            seller=readers[i % READERS] if i % 4 else None,
            # A download is orderable with its file named; the bench never downloads one.
            download="" if physical else f"shop/downloads/bench/{RUN}-{i}.pdf",
        )
        products.append(index.add_child(instance=product))
        if physical:
            give_stock(product, 100_000)
    by_readers = [p for p in products if p.seller_id]
    by_soulseer = [p for p in products if not p.seller_id]
    return index, by_readers, by_soulseer


def give_stock(product, quantity):
    """Set how many of ``product`` are left: through ``shop.inventory`` where the shop keeps
    stock there, else in the page's own ``stock`` column."""
    try:
        from shop import inventory
    except ImportError:
        ProductPage.objects.filter(pk=product.pk).update(stock=quantity)
    else:
        inventory.set_stock(product, quantity)


def make_hot_items(index, stock):
    readers = list(User.objects.filter(username__startswith=f"bench-seller-{RUN}-"))
    hot = []
    for i in range(HOT_ITEMS):
        product = index.add_child(
            instance=ProductPage(
                title=f"Bench limited edition {i}",
                slug=f"bench-{RUN}-hot-{i}-{uuid.uuid4().hex[:6]}",
                kind=ProductPage.Kind.PHYSICAL,
                price_cents=2500,
                seller=readers[i % len(readers)],
            )
        )
        give_stock(product, stock)
        hot.append(ProductPage.objects.get(pk=product.pk))
    return hot


def make_buyers(count, tag):
    """``count`` clients, each wallet opened by ``wallet.services.wallet_of`` and funded by
    top-up transfers of 500 legs (a transfer's deferred check sums its legs once per leg)."""
    buyers = make_users(f"bench-buyer-{tag}", count, "client")
    wallets = [ledger.wallet_of(buyer) for buyer in buyers]
    clearing = ledger.platform_account(LedgerAccount.Kind.STRIPE_CLEARING)
    per_wallet = 1_000_000
    with transaction.atomic():
        for start in range(0, count, 500):
            chunk = wallets[start : start + 500]
            ledger.transfer(
                [ledger.Leg(clearing, -per_wallet * len(chunk))]
                + [ledger.Leg(account, per_wallet) for account in chunk],
                idempotency_key=f"bench-checkout-fund:{RUN}:{tag}:{start}",
                kind=Transfer.Kind.TOP_UP,
            )
    return buyers


def fill_carts(buyers, by_readers, by_soulseer, hot, seed):
    """A cart of 1-3 products for each buyer: one seller reader's, then up to two more from
    the catalogue; with ``hot``, the last of at most three is one hot item (1 unit)."""
    rng = random.Random(seed)
    catalogue = by_readers + by_soulseer
    for buyer in buyers:
        cart = shop.cart_for(SimpleNamespace(user=buyer, session={}), create=True)
        items = [rng.choice(by_readers)]
        items += rng.sample([p for p in catalogue if p.pk != items[0].pk], rng.randint(0, 2))
        if hot:
            items = items[:2] + [rng.choice(hot)]
        for product in items:
            single = product.is_digital or product in hot
            shop.add_to_cart(cart, product, 1 if single else rng.randint(1, 2))


def worker(args):
    buyer_ids, start_at = args
    connections.close_all()  # never share the parent's connection after fork
    buyers = list(User.objects.filter(pk__in=buyer_ids))
    time.sleep(max(start_at - time.time(), 0))
    started = time.perf_counter()
    done = refused = 0
    for buyer in buyers:
        try:
            shop.checkout_with_wallet(buyer, shipping=ADDRESS, idempotency_key=uuid.uuid4().hex)
            done += 1
        except (SoldOut, NotEnoughStock):
            refused += 1
    elapsed = time.perf_counter() - started
    connections.close_all()
    return done, refused, started, elapsed


def measure(buyers, workers):
    """Checkouts of ``buyers`` by ``workers`` processes started together: ``(done, refused,
    seconds)``, seconds from the common start to the last worker's end."""
    ids = [buyer.pk for buyer in buyers]
    slices = [ids[i::workers] for i in range(workers)]
    ctx = multiprocessing.get_context("fork")
    connections.close_all()
    with ctx.Pool(workers) as pool:
        start_at = time.time() + 1.0 + 0.3 * workers
        results = pool.map(worker, [(chunk, start_at) for chunk in slices])
    done = sum(r[0] for r in results)
    refused = sum(r[1] for r in results)
    first = min(r[2] for r in results)
    seconds = max(r[2] + r[3] for r in results) - first
    return done, refused, seconds


def statements_per_checkout(by_readers, by_soulseer):
    """SQL statements of one two-item checkout (one reader's product, one of SoulSeer's)."""
    buyer = make_buyers(1, "count")[0]
    cart = shop.cart_for(SimpleNamespace(user=buyer, session={}), create=True)
    shop.add_to_cart(cart, by_readers[0])
    shop.add_to_cart(cart, by_soulseer[0])
    with CaptureQueriesContext(connection) as queries:
        shop.checkout_with_wallet(buyer, shipping=ADDRESS, idempotency_key=uuid.uuid4().hex)
    return len(queries)


def analyze():
    with connection.cursor() as cursor:
        for table in (
            "accounts_user",
            "wallet_ledgeraccount",
            "wallet_transfer",
            "wallet_entry",
            "shop_cart",
            "shop_cartline",
            "shop_order",
            "shop_orderline",
            "shop_productpage",
        ):
            cursor.execute(f"ANALYZE {table}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--scenarios", default="open,scarce")
    options = parser.parse_args()
    # Production runs with DEBUG off; DEBUG's query log (SQL text and parameters kept for every
    # statement) is not what we measure. BENCH_DEBUG=1 keeps it on.
    settings.DEBUG = os.environ.get("BENCH_DEBUG") == "1"
    # Page creation in the set-up logs every page and reference-index task at INFO.
    for name in ("django_tasks", "wagtail"):
        logging.getLogger(name).setLevel(logging.WARNING)
    worker_counts = [int(w) for w in options.workers.split(",")]

    print(f"database: {_django.describe_database()}; {options.buyers} buyers per measurement")
    started = time.perf_counter()
    index, by_readers, by_soulseer = make_catalogue()
    statements = statements_per_checkout(by_readers, by_soulseer)
    print(
        f"catalogue: {len(by_readers)} products of {READERS} readers, {len(by_soulseer)} of "
        f"SoulSeer ({DIGITAL} digital, {PHYSICAL} physical) in "
        f"{time.perf_counter() - started:.1f} s; one two-item checkout: {statements} SQL "
        f"statements (pgbench's checkout-shaped transaction: {PGBENCH_STATEMENTS})"
    )
    tpcb = _django.pgbench_tps(2, options.seconds)
    print(f"pgbench -b tpcb-like, 2 clients: {tpcb:.0f} tps")
    print()
    print(
        f"{'scenario':>8} | {'workers':>7} | {'set-up s':>8} | {'paid':>4} | {'sold out':>8} | "
        f"{'tries/s':>7} | {'checkouts/s':>11} | {'ms each':>7} | {'pgbench tps':>11} | "
        f"{'ratio':>5}"
    )
    print("-" * 103)
    reference = {}
    for workers in worker_counts:
        for scenario in options.scenarios.split(","):
            started = time.perf_counter()
            tag = f"{scenario}{workers}"
            buyers = make_buyers(options.buyers, tag)
            hot = []
            if scenario == "scarce":
                hot = make_hot_items(index, options.buyers // (2 * HOT_ITEMS))
            fill_carts(buyers, by_readers, by_soulseer, hot, seed=workers)
            analyze()
            setup_seconds = time.perf_counter() - started
            done, refused, seconds = measure(buyers, workers)
            if workers not in reference:
                reference[workers] = _django.pgbench_script_tps(
                    workers, options.seconds, PGBENCH_INIT, PGBENCH_SCRIPT
                )
            rate = done / seconds
            tries = (done + refused) / seconds
            print(
                f"{scenario:>8} | {workers:>7} | {setup_seconds:>8.1f} | {done:>4} | "
                f"{refused:>8} | {tries:>7.0f} | {rate:>11.0f} | {1000 * workers / tries:>7.1f} | "
                f"{reference[workers]:>11.0f} | {rate / reference[workers]:>5.2f}"
            )
            if hot:
                check_not_oversold(hot, options.buyers // (2 * HOT_ITEMS))


def check_not_oversold(hot, stock):
    for product in hot:
        left = ProductPage.objects.get(pk=product.pk).stock
        sold = OrderLine.objects.filter(product=product).aggregate(n=Sum("quantity"))["n"] or 0
        if left < 0 or sold + left != stock:
            print(f"  ({product.title}: stock {stock}, sold {sold}, left {left}: oversold!)")


if __name__ == "__main__":
    main()
