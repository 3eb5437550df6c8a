"""The wallet statement as a CSV file: the page's lines, its filters, only the owner's money."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from wallet.tests.factories import fund_wallet, pay_reading

pytestmark = pytest.mark.django_db


def download(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("wallet:statement_csv"), params)
    body = b"".join(response.streaming_content).decode() if response.streaming else ""
    return response, list(csv.reader(io.StringIO(body)))


def test_the_statement_lists_every_line_with_signed_amounts(client):
    user, reader = UserFactory(), UserFactory()
    fund_wallet(user, 5_000)
    pay_reading(user, reader, 1_200)
    response, rows = download(client, user)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    assert rows[0][0] == "Date" and rows[0][5] == "Amount (USD)"
    assert sorted(row[5] for row in rows[1:]) == ["-12.00", "50.00"]
    assert {row[4] for row in rows[1:]} == {"Wallet"}


def test_the_statement_keeps_the_pages_type_filter(client):
    user, reader = UserFactory(), UserFactory()
    fund_wallet(user, 5_000)
    pay_reading(user, reader, 1_200)
    _response, rows = download(client, user, type="readings")
    assert [row[5] for row in rows[1:]] == ["-12.00"]


def test_someone_elses_money_is_never_in_the_statement(client):
    owner = UserFactory()
    fund_wallet(owner, 5_000)
    _response, rows = download(client, UserFactory())
    assert rows == [list(rows[0])] and len(rows) == 1


def test_bad_filters_are_refused_with_a_reason(client):
    response, _rows = download(client, UserFactory(), date_from="2026-02-10", date_to="2026-02-01")
    assert response.status_code == 400
    assert "cannot make a statement" in response.content.decode()


def test_a_cell_that_looks_like_a_formula_is_written_as_text():
    from home.csv import text_cell as _text_cell

    assert _text_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _text_cell("Reading with Luna") == "Reading with Luna"


def test_the_statement_needs_a_login(client):
    response = client.get(reverse("wallet:statement_csv"))
    assert response.status_code == 302


def test_the_wallet_page_links_the_statement(client):
    user = UserFactory()
    client.force_login(user)
    html = client.get(reverse("wallet:overview")).content.decode()
    assert 'data-testid="statement-csv"' in html


def test_a_long_statement_is_read_in_batches_and_loses_no_line(client, monkeypatch):
    import wallet.selectors

    monkeypatch.setattr(wallet.selectors, "_STATEMENT_BATCH", 2)
    user, reader = UserFactory(), UserFactory()
    fund_wallet(user, 5_000)
    for _ in range(4):
        pay_reading(user, reader, 100)
    _response, rows = download(client, user)
    assert sorted(row[5] for row in rows[1:]) == ["-1.00"] * 4 + ["50.00"]
