"""Downloads from a private S3/R2 bucket, over real HTTP against an S3 protocol server (moto in
server mode on 127.0.0.1), with the storage built from production's own settings code: a paid
buyer's button redirects to a presigned GET that fetches the file for five minutes and not after,
nobody else is ever sent one, the object itself is not public, each issued link counts one
download up to the limit, and an upload is checked before anything reaches the bucket.

moto 5.2.5 checks neither the signature nor the expiry of a presigned URL: any query string
containing ``Signature=`` is let through (``S3Response._key_response``), and its IAM checks read
only an ``Authorization`` header, which a presigned URL does not carry. So the server here puts
``PresignedLinkRules`` in front of moto: it applies S3's published rules for query-string SigV4
(signature recomputed from the request as received, with the bucket's secret; refused past
``X-Amz-Date + X-Amz-Expires``; SigV2 refused, as R2 does) and is written from the spec, not with
botocore, so it checks what botocore produced rather than repeating it. Its clock can be moved
forward, so the five-minute life of a real link is tested without waiting."""

import hashlib
import hmac
import json
import os
import runpy
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from storages.backends.s3 import S3Storage
from wagtail.test.utils.form_data import nested_form_data, streamfield

from accounts.tests.factories import UserFactory
from shop import services
from shop.errors import DownloadRefused
from shop.models import Order, OrderLine, ProductPage
from shop.storage import private_storage
from shop.tests.factories import PDF, digital, order
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
BUCKET = "soulseer-downloads"
REGION = "auto"  # R2's region name
ACCESS_KEY, SECRET_KEY = "R2TESTACCESSKEY", "r2-test-secret-key"
# The public media domain of the other storage: downloads must never be served from it.
PUBLIC_DOMAIN = "media.soulseer.example"


class PresignedLinkRules:
    """WSGI middleware: refuse (403) a presigned request that S3/R2 would refuse, pass the rest
    (the storage's own SDK calls, signed in a header, and unsigned requests) to moto."""

    def __init__(self, app):
        self.app = app
        self.skew = 0  # seconds this server's clock runs ahead

    def __call__(self, environ, start_response):
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
        path, _, query = raw.partition("?")
        params = parse_qsl(query, keep_blank_values=True)
        names = {name for name, _value in params}
        refusal = None
        if "X-Amz-Signature" in names:
            refusal = self.refusal(environ["REQUEST_METHOD"], path, params, environ)
        elif "Signature" in names:
            refusal = "SigV2 is not accepted"
        if refusal:
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [refusal.encode()]
        return self.app(environ, start_response)

    def refusal(self, method, path, params, environ):
        query = dict(params)
        try:
            access_key, day, region, service, terminator = query["X-Amz-Credential"].split("/")
            signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
            expires = int(query["X-Amz-Expires"])
            signed_headers = query["X-Amz-SignedHeaders"].split(";")
        except (KeyError, ValueError):
            return "malformed presigned request"
        if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or access_key != ACCESS_KEY:
            return "unknown algorithm or access key"
        if (region, service, terminator) != (REGION, "s3", "aws4_request"):
            return "wrong credential scope"
        if not 1 <= expires <= 604_800 or day != signed_at.strftime("%Y%m%d"):
            return "bad expiry or date"
        if time.time() + self.skew > signed_at.replace(tzinfo=UTC).timestamp() + expires:
            return "Request has expired"
        canonical_query = "&".join(
            f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
            for name, value in sorted(params)
            if name != "X-Amz-Signature"
        )
        headers = "".join(
            f"{name}:{environ.get('HTTP_' + name.upper().replace('-', '_'), '').strip()}\n"
            for name in signed_headers
        )
        canonical_request = "\n".join(
            [
                method,
                quote(unquote(path), safe="/~"),
                canonical_query,
                headers,
                ";".join(signed_headers),
                "UNSIGNED-PAYLOAD",
            ]
        )
        scope = f"{day}/{region}/s3/aws4_request"
        string_to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256",
                query["X-Amz-Date"],
                scope,
                hashlib.sha256(canonical_request.encode()).hexdigest(),
            ]
        )
        key = f"AWS4{SECRET_KEY}".encode()
        for part in (day, region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, query["X-Amz-Signature"]):
            return "SignatureDoesNotMatch"
        return None


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 in server mode on a free port of 127.0.0.1, behind ``PresignedLinkRules``:
    ``(endpoint, rules)``."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    rules = PresignedLinkRules(server._server.app)
    server._server.app = rules  # the WSGI app werkzeug's handler calls for every request
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}", rules
    finally:
        server.stop()


def production_settings(environ):
    """The settings production's ``base.py`` computes from ``environ`` (run as a script in a
    fresh namespace, so the loaded settings are not touched)."""
    saved = dict(os.environ)
    os.environ.update(environ)
    try:
        return runpy.run_path(str(BASE_DIR / "soulseer" / "settings" / "base.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def s3(s3_server, settings, monkeypatch):
    """A fresh private bucket, and the shop's download storage configured as production
    configures it for R2 (``AWS_*`` settings and ``STORAGES["private"]`` from ``base.py``, the
    endpoint pointed at the server, a public custom domain set for the other media). Returns a
    boto3 client of the server, for looking behind the storage's back."""
    endpoint, rules = s3_server
    rules.skew = 0
    environ = {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_S3_CUSTOM_DOMAIN": PUBLIC_DOMAIN,
    }
    production = production_settings(environ)
    for name, value in production.items():
        if name.startswith("AWS_"):
            setattr(settings, name, value)
    settings.STORAGES = {**settings.STORAGES, "private": production["STORAGES"]["private"]}
    # Credentials as production gets them: from the environment, read by boto3.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=BUCKET)
    return client


def fetch(url):
    """GET ``url`` over HTTP: ``(status, body)``."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our test server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def bought(shop, s3):
    """A buyer's paid line of a download whose file is in the bucket: ``(buyer, line)``."""
    buyer = UserFactory()
    fund_wallet(buyer, 5_000)
    paid = order(buyer, digital(shop, "Meditation"))
    return buyer, paid.lines.select_related("product").get()


def link_of(client, line, buyer):
    """The presigned URL the download view sends ``buyer`` to for ``line`` (asserting the
    redirect)."""
    response = client.get(services.download_url(line, buyer))
    assert response.status_code == 302, response.status_code
    return response["Location"]


def test_the_product_file_is_uploaded_to_the_private_bucket_through_the_storage(s3, bought):
    _buyer, line = bought
    name = line.product.download.name

    assert isinstance(private_storage(), S3Storage)
    assert isinstance(line.product.download.storage, S3Storage)
    stored = s3.get_object(Bucket=BUCKET, Key=f"private/{name}")
    assert stored["Body"].read() == PDF
    grants = s3.get_object_acl(Bucket=BUCKET, Key=f"private/{name}")["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert not any(grant["Grantee"].get("URI") for grant in grants)  # no AllUsers, no group


def test_the_buyers_button_redirects_to_a_five_minute_presigned_link_that_fetches_the_file(
    client, s3_server, bought
):
    endpoint, _rules = s3_server
    buyer, line = bought
    client.force_login(buyer)

    response = client.get(services.download_url(line, buyer))

    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    url = response["Location"]
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}" == endpoint  # never the public media domain
    assert PUBLIC_DOMAIN not in url
    assert parts.path == f"/{BUCKET}/private/{line.product.download.name}"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == "300"
    assert fetch(url) == (200, PDF)
    line.refresh_from_db()
    assert line.downloads == 1


def test_a_presigned_link_works_for_five_minutes_and_not_after(client, s3_server, bought):
    _endpoint, rules = s3_server
    buyer, line = bought
    client.force_login(buyer)
    url = link_of(client, line, buyer)

    rules.skew = 290
    assert fetch(url) == (200, PDF)
    rules.skew = 301
    status, body = fetch(url)

    assert status == 403 and body == b"Request has expired"


def test_a_link_made_to_expire_in_a_second_fails_on_the_real_clock(client, settings, bought):
    settings.SHOP_DOWNLOAD_LINK_SECONDS = 1
    buyer, line = bought
    client.force_login(buyer)
    url = link_of(client, line, buyer)  # this signs the view's link and the bucket's at once
    time.sleep(2.1)  # X-Amz-Date carries whole seconds

    assert fetch(url)[0] == 403


def test_a_presigned_link_cannot_be_changed_to_another_file_or_a_longer_life(
    client, shop, s3_server, bought
):
    buyer, line = bought
    other = digital(shop, "Another buyer's tarot guide")
    client.force_login(buyer)
    url = link_of(client, line, buyer)
    assert fetch(url)[0] == 200
    mine, theirs = line.product.download.name, other.download.name

    for forged in (
        url.replace(mine, theirs),
        url.replace("X-Amz-Expires=300", "X-Amz-Expires=604800"),
        url[:-4] + ("0000" if not url.endswith("0000") else "1111"),
    ):
        assert fetch(forged) == (403, b"SignatureDoesNotMatch")


def test_the_object_url_without_a_signature_is_refused_by_the_bucket(client, bought):
    buyer, line = bought
    client.force_login(buyer)
    url = link_of(client, line, buyer)
    bare = url.split("?", 1)[0]

    assert fetch(bare)[0] == 403
    assert fetch(url)[0] == 200


def test_someone_else_gets_no_link_to_the_buyers_file(client, bought):
    buyer, line = bought
    url = services.download_url(line, buyer)
    someone = UserFactory()
    client.force_login(someone)

    response = client.get(url)

    assert response.status_code == 404 and "Location" not in response
    with pytest.raises(DownloadRefused):
        services.download_url(line, someone)
    line.refresh_from_db()
    assert line.downloads == 0


def test_a_refunded_order_gets_no_link(client, bought):
    buyer, line = bought
    url = services.download_url(line, buyer)
    services.refund(line.order, UserFactory(staff=True), reason="Wrong file")
    client.force_login(buyer)

    response = client.get(url)

    assert response.status_code == 404 and "Location" not in response
    with pytest.raises(DownloadRefused):
        services.download_url(OrderLine.objects.get(pk=line.pk), buyer)
    assert OrderLine.objects.get(pk=line.pk).downloads == 0


def test_a_refunded_item_gets_no_link_while_the_rest_of_its_order_does(client, shop, s3):
    buyer = UserFactory()
    fund_wallet(buyer, 5_000)
    paid = order(buyer, digital(shop, "Meditation"), digital(shop, "Moon guide"))
    kept, refunded = paid.lines.order_by("pk")
    urls = {line.pk: services.download_url(line, buyer) for line in (kept, refunded)}
    services.refund(paid, UserFactory(staff=True), line_ids=[refunded.pk], reason="Duplicate")
    client.force_login(buyer)

    assert client.get(urls[refunded.pk]).status_code == 404
    response = client.get(urls[kept.pk])
    assert response.status_code == 302
    assert fetch(response["Location"]) == (200, PDF)


def test_an_order_that_is_not_paid_gets_no_link(client, bought):
    buyer, line = bought
    url = services.download_url(line, buyer)
    # No service leaves an order with lines unpaid (checkout pays in the same transaction);
    # the view must still refuse one.
    Order.objects.filter(pk=line.order_id).update(state=Order.State.PENDING)
    client.force_login(buyer)

    response = client.get(url)

    assert response.status_code == 404 and "Location" not in response


def test_each_issued_link_counts_one_download_until_the_limit(client, settings, bought):
    settings.SHOP_DOWNLOAD_LIMIT = 2
    buyer, line = bought
    client.force_login(buyer)
    url = services.download_url(line, buyer)
    counts = []

    responses = []
    for _ in range(3):
        responses.append(client.get(url))
        line.refresh_from_db()
        counts.append(line.downloads)

    assert [response.status_code for response in responses] == [302, 302, 403]
    assert counts == [1, 2, 2]
    assert all(fetch(response["Location"]) == (200, PDF) for response in responses[:2])
    assert "Location" not in responses[2]
    assert "used every download of this file" in responses[2].content.decode()


def _product_form(shop, editor, upload):
    """What the editor's "add a product" form posts: a download with ``upload``, every inline
    formset the page's panels have left empty."""
    form = ProductPage.get_edit_handler().get_form_class()(
        instance=ProductPage(), parent_page=shop, for_user=editor
    )
    data = {
        f"{formset.prefix}-{key}": value
        for formset in form.formsets.values()
        for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0), ("MIN_NUM_FORMS", 0))
    }
    data.update(
        nested_form_data(
            {
                "title": "Moon guide",
                "slug": "moon-guide",
                "kind": ProductPage.Kind.DIGITAL,
                "price_cents": "900",
                "seller": "",
                "summary": "",
                "image": "",
                "description": streamfield([]),
            }
        )
    )
    data["download"] = upload
    return data


def test_an_upload_in_the_editor_is_checked_before_it_reaches_the_bucket(client, shop, s3):
    editor = UserFactory(staff=True, is_superuser=True)
    client.force_login(editor)
    add = f"/admin/pages/add/shop/productpage/{shop.pk}/"

    fake = SimpleUploadedFile("guide.pdf", b"MZ\x90\x00 a program, not a PDF")
    refused = client.post(add, _product_form(shop, editor, fake))

    assert refused.status_code == 200
    assert "none of those" in refused.content.decode()
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert not ProductPage.objects.filter(slug="moon-guide").exists()

    accepted = client.post(add, _product_form(shop, editor, SimpleUploadedFile("guide.pdf", PDF)))

    assert accepted.status_code == 302
    product = ProductPage.objects.get(slug="moon-guide")
    key = f"private/{product.download.name}"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == PDF


def test_production_settings_keep_downloads_in_a_private_bucket_when_aws_is_set():
    """Production's settings module, as Render would start it with R2 configured: the product
    field's storage is S3 with private objects and querystring auth, and its links use the R2
    endpoint, never the public media domain the other storage uses."""
    script = (
        "import json, django\n"
        "django.setup()\n"
        "from django.core.files.storage import default_storage\n"
        "from shop.models import ProductPage\n"
        "s = ProductPage._meta.get_field('download').storage\n"
        "print(json.dumps({\n"
        "    'backend': f'{s.__class__.__module__}.{s.__class__.__name__}',\n"
        "    'bucket': s.bucket_name, 'location': s.location, 'acl': s.default_acl,\n"
        "    'querystring_auth': s.querystring_auth, 'custom_domain': s.custom_domain,\n"
        "    'signature_version': s.signature_version,\n"
        "    'url': s.url('shop/downloads/guide.pdf', expire=300),\n"
        "    'media_url': default_storage.url('images/moon.jpg'),\n"
        "}))\n"
    )
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "soulseer.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "ALLOWED_HOSTS": "soulseer.example",
        "AWS_STORAGE_BUCKET_NAME": "soulseer-media",
        "AWS_PRIVATE_STORAGE_BUCKET_NAME": "soulseer-downloads",
        "AWS_S3_ENDPOINT_URL": "https://account.r2.cloudflarestorage.com",
        "AWS_S3_REGION_NAME": "auto",
        "AWS_S3_CUSTOM_DOMAIN": PUBLIC_DOMAIN,
        "AWS_QUERYSTRING_AUTH": "false",  # public media: plain URLs on the custom domain
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=environ,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    seen = json.loads(out.strip().splitlines()[-1])

    url = seen.pop("url")
    assert seen == {
        "backend": "storages.backends.s3.S3Storage",
        "bucket": "soulseer-downloads",
        "location": "private",
        "acl": "private",
        "querystring_auth": True,
        "custom_domain": None,
        "signature_version": "s3v4",
        "media_url": f"https://{PUBLIC_DOMAIN}/images/moon.jpg",
    }
    assert url.startswith(
        "https://account.r2.cloudflarestorage.com/soulseer-downloads/private/shop/downloads/"
        "guide.pdf?"
    )
    assert "X-Amz-Expires=300" in url and "X-Amz-Signature=" in url
