"""Importing and exporting CSV: customers and loyalty purchases, from the command line and the API.

One mechanism (portal/transfers): every row checked before any is applied, every bad row listed with
its line while nothing changes, a file imported twice changing nothing, exports no spreadsheet can
run, and each kind offered only while its owner is switched on.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import timedelta
from decimal import Decimal

import portal_example_plugin.transfers
import pytest
from flask import Flask
from sqlalchemy import func, select

from plugins.loyalty import contributions, ledger
from plugins.loyalty.models import Entry, Purchase
from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.database import db, utcnow
from portal.plugin_manager import PluginError
from portal.staff.plugin_switch import switch_plugin
from portal.testing import UserRecord, api_token
from portal.transfers import reading
from portal.transfers.registry import export_kinds, import_kinds

pytestmark = pytest.mark.plugins("loyalty")

CUSTOMERS = "email,name,language\nada@example.com,Ada Lovelace,en\nbabak@example.com,Babak Rahimi,fa\n"
# Line 3 is a quoted name over two lines, so the rows after it start two lines on.
BAD_CUSTOMERS = (
    "email,name,language\n"
    "ok@example.com,Fine Person,en\n"
    'not-an-address,"Two\nlines",en\n'
    "grace@example.com,,en\n"
    "hopper@example.com,Grace Hopper,xx\n"
    "ok@example.com,Again,en\n"
)


def bearer(app: Flask, user_id: int, *scopes: str) -> dict[str, str]:
    return {"Authorization": api_token(app, user_id, *scopes)}


def run(app: Flask, *args: str, input: bytes | str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def sheet(tmp_path, text: str | bytes, name: str = "rows.csv") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def customer_emails(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(User.email).where(User.role == "customer")))


def balance_of(app: Flask, user_id: int) -> int:
    with app.app_context():
        return ledger.balance(user_id)


def audit_kinds(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- Customers from the command line -------------------------------------------------------------


def test_a_dry_run_checks_every_row_and_changes_nothing(app, tmp_path):
    result = run(app, "import", "customers", "--dry-run", sheet(tmp_path, CUSTOMERS))
    assert result.exit_code == 0, result.output
    assert "Dry run: 2 rows are fine; nothing was imported." in result.output
    assert customer_emails(app) == []


def test_bad_rows_are_all_listed_with_their_lines_and_nothing_is_imported(app, tmp_path):
    result = run(app, "import", "customers", sheet(tmp_path, BAD_CUSTOMERS))
    assert result.exit_code == 1
    assert "Line 3: “not-an-address” is not an email address." in result.output
    assert "Line 5: The name is missing." in result.output
    assert "Line 6: The language “xx” is not one of the portal's: en, fa." in result.output
    assert "Line 7: This row has the same email as line 2; each may be in the file once." in result.output
    assert "Line 2" not in result.output.replace("line 2;", "")
    assert "4 bad rows; nothing was imported." in result.output
    assert customer_emails(app) == []


def test_a_good_file_is_imported_once_and_again_changes_nothing(app, tmp_path):
    path = sheet(tmp_path, CUSTOMERS)
    first = run(app, "import", "customers", path)
    assert first.exit_code == 0, first.output
    assert "Imported customers: 2 created, 0 unchanged (imported before)." in first.output
    assert "Checking rows" in first.output and "Importing" in first.output  # the progress bars
    assert customer_emails(app) == ["ada@example.com", "babak@example.com"]
    with app.app_context():
        babak = db.session.scalar(select(User).where(User.email == "babak@example.com"))
        assert babak is not None and babak.language == "fa" and babak.email_verified_at is None
    again = run(app, "import", "customers", path)
    assert "Imported customers: 0 created, 2 unchanged (imported before)." in again.output
    assert customer_emails(app) == ["ada@example.com", "babak@example.com"]
    assert audit_kinds(app).count("registered") == 2
    assert audit_kinds(app).count("data_imported") == 2


def test_the_import_is_recorded_for_the_staff_member_named_with_by(app, tmp_path, make_user):
    agent = make_user("agent")
    customer = make_user()
    refused = run(app, "import", "customers", "--by", customer.email, sheet(tmp_path, CUSTOMERS))
    assert refused.exit_code == 1 and "is not a staff member's email" in refused.output
    result = run(app, "import", "customers", "--by", agent.email, sheet(tmp_path, CUSTOMERS))
    assert result.exit_code == 0, result.output
    with app.app_context():
        actors = set(db.session.scalars(select(AuditEvent.actor_id).where(AuditEvent.kind == "registered")))
        assert actors == {agent.id}


def test_a_file_on_standard_input_with_a_byte_order_mark_and_columns_in_any_order(app):
    text = "\ufeffName,EMAIL\r\nAda Lovelace,ada@example.com\r\n\r\n,\r\n"
    result = run(app, "import", "customers", "-", input=text.encode())
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    assert customer_emails(app) == ["ada@example.com"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty: its first line names the columns."),
        (b"\n\n", "The file is empty: its first line names the columns."),
        (b"email,name\nada@example.com,Ada \xff\n", "Line 2 is not UTF-8 text"),
        (b"email,name\nada@example.com,A\x00da\n", "Line 2 holds a NUL character"),
        (b"\xff\xfee\x00m\x00", "Line 1 is not UTF-8 text"),
        (
            b"email,nickname,age\nada@example.com,Ada,36\n",
            "The header has columns this import does not read: age, nickname. The header lacks the "
            "columns name. The columns are email, name, language; email, name must be there.",
        ),
        (b"email,name,email\n", "The header names email more than once."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_with_a_reason(app, tmp_path, content, message):
    result = run(app, "import", "customers", sheet(tmp_path, content))
    assert result.exit_code == 1
    assert message in result.output
    assert customer_emails(app) == []


def test_a_header_alone_imports_nothing_and_says_so(app, tmp_path):
    result = run(app, "import", "customers", sheet(tmp_path, "email,name\n"))
    assert result.exit_code == 0, result.output
    assert "0 created, 0 unchanged" in result.output


def test_text_under_a_column_without_a_name_is_a_bad_row(app, tmp_path):
    result = run(app, "import", "customers", sheet(tmp_path, "email,name,\nada@example.com,Ada,Lovelace\n"))
    assert result.exit_code == 1
    assert "Line 2: This line has text in a column the header does not name" in result.output


def test_limits_on_rows_and_size_are_clear(app, tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 2)
    three = "email,name\n" + "".join(f"p{n}@example.com,P {n}\n" for n in range(3))
    result = run(app, "import", "customers", sheet(tmp_path, three))
    assert result.exit_code == 1 and "The file has more than 2 rows" in result.output
    monkeypatch.setattr(reading, "MAX_BYTES", 10)
    result = run(app, "import", "customers", sheet(tmp_path, CUSTOMERS))
    assert result.exit_code == 1 and "The file is larger than" in result.output
    assert customer_emails(app) == []


def test_an_unknown_kind_names_the_kinds_on_offer(app, tmp_path):
    result = run(app, "import", "orders", sheet(tmp_path, CUSTOMERS))
    assert result.exit_code == 1
    assert "Nothing called “orders” is on offer; these are: customers, loyalty.purchases." in result.output
    assert run(app, "export", "orders").exit_code == 1


# --- Exports -------------------------------------------------------------------------------------


def test_the_customers_export_lists_customers_only_with_times_in_utc(app, make_user):
    make_user("agent")
    ada = make_user(email="ada@example.com", name="Ada")
    result = run(app, "export", "customers")
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.stdout)
    assert rows[0] == ["id", "email", "name", "language", "created_at", "last_login_at"]
    assert [row[:4] for row in rows[1:]] == [[str(ada.id), "ada@example.com", "Ada", "en"]]
    assert rows[1][4].endswith("+00:00") and rows[1][5] == ""
    assert "Exported 1 rows of customers." in result.stderr
    assert audit_kinds(app)[-1] == "data_exported"


def test_since_keeps_what_was_made_since_the_last_sync(app, make_user):
    old, new = make_user(), make_user()
    with app.app_context():
        account = db.session.get(User, old.id)
        assert account is not None
        account.created_at = utcnow() - timedelta(days=10)
        db.session.commit()
    since = (utcnow() - timedelta(days=1)).date().isoformat()
    rows = csv_rows(run(app, "export", "customers", "--since", since).stdout)
    assert [row[1] for row in rows[1:]] == [new.email]
    refused = run(app, "export", "customers", "--since", "last tuesday")
    assert refused.exit_code == 2 and "ISO 8601" in refused.output


def test_no_exported_cell_runs_as_a_formula_and_the_export_imports_as_it_is(app, make_user, tmp_path):
    make_user(email="sheet@example.com", name='=HYPERLINK("http://evil.example","Click")')
    make_user(email="minus@example.com", name="-Dash-")
    out = tmp_path / "customers.csv"
    assert run(app, "export", "customers", "-o", str(out)).exit_code == 0
    rows = csv_rows(out.read_text(encoding="utf-8"))
    names = {row[1]: row[2] for row in rows[1:]}
    assert names["sheet@example.com"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert names["minus@example.com"] == "'-Dash-"
    with app.app_context():
        db.session.execute(db.delete(AuditEvent))
        db.session.execute(db.delete(User).where(User.email == "minus@example.com"))
        db.session.commit()
    result = run(app, "import", "customers", str(out))
    assert result.exit_code == 0, result.output
    assert "1 created, 1 unchanged" in result.output
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.email == "minus@example.com")) == "-Dash-"


# --- Loyalty purchases ---------------------------------------------------------------------------


def purchases(customer: UserRecord, *rows: tuple[str, str]) -> str:
    return "email,amount,reference\n" + "".join(f"{customer.email},{amount},{ref}\n" for amount, ref in rows)


def test_purchases_dry_run_bad_rows_import_and_again(app, make_user, tmp_path):
    person = make_user()
    good = sheet(tmp_path, purchases(person, ("20", "A1"), ("5.5", "A2")), "good.csv")
    bad = sheet(
        tmp_path,
        purchases(person, ("20", "B1"))
        + "nobody@example.com,1,B2\n"
        + f"{person.email},-4,B3\n{person.email},3,\n{person.email},2,B1\n",
        "bad.csv",
    )
    result = run(app, "import", "loyalty.purchases", bad)
    assert result.exit_code == 1
    assert "Line 3: No customer has the email nobody@example.com." in result.output
    assert "Line 4: The amount must be more than zero." in result.output
    assert "Line 5: The reference is missing or longer than 60 characters." in result.output
    assert "Line 6: This row has the same reference as line 2" in result.output
    assert balance_of(app, person.id) == 0
    dry = run(app, "import", "loyalty.purchases", "--dry-run", good)
    assert "Dry run: 2 rows are fine" in dry.output and balance_of(app, person.id) == 0
    first = run(app, "import", "loyalty.purchases", good)
    assert "Imported loyalty.purchases: 2 created, 0 unchanged" in first.output
    again = run(app, "import", "loyalty.purchases", good)
    assert "0 created, 2 unchanged" in again.output
    assert balance_of(app, person.id) == 25


def test_a_receipt_earns_once_whichever_way_it_came(app, make_user, tmp_path):
    person, other = make_user(), make_user()
    with app.app_context():
        ledger.credit(person.id, 10, "earned", reason="Purchase OLD", source="import:OLD")
        ledger.credit(person.id, 10, "earned", reason="Purchase FORM", source="purchase:FORM")
        db.session.commit()
    mine = sheet(tmp_path, purchases(person, ("20", "OLD"), ("20", "FORM")), "mine.csv")
    result = run(app, "import", "loyalty.purchases", mine)
    assert "0 created, 2 unchanged" in result.output and balance_of(app, person.id) == 20
    theirs = sheet(tmp_path, purchases(other, ("20", "FORM")), "theirs.csv")
    refused = run(app, "import", "loyalty.purchases", theirs)
    assert "Line 2: The reference FORM was recorded for another customer." in refused.output


def test_the_purchases_export_has_amounts_points_and_receipts(app, make_user, tmp_path):
    person = make_user(email="=buyer@example.com")
    run(app, "import", "loyalty.purchases", sheet(tmp_path, purchases(person, ("19.99", "R-1"))))
    rows = csv_rows(run(app, "export", "loyalty.purchases").stdout)
    assert rows[0] == ["email", "amount", "points", "reference", "created_at"]
    assert rows[1][:4] == ["'=buyer@example.com", "19.99", "19", "R-1"]
    with app.app_context():
        assert db.session.scalar(select(Purchase.amount_cents)) == 1999


# --- The API -------------------------------------------------------------------------------------


def test_api_import_answers_a_report_and_applies_once(app, make_user):
    agent = make_user("agent")
    client = app.test_client()
    headers = {**bearer(app, agent.id, "customers:write"), "Content-Type": "text/csv"}
    dry = client.post("/api/v1/imports/customers?dry_run=true", data=CUSTOMERS, headers=headers)
    assert dry.status_code == 200, dry.get_json()
    assert dry.get_json() == {"kind": "customers", "dry_run": True, "rows": 2, "created": 0, "unchanged": 0}
    assert customer_emails(app) == []
    done = client.post("/api/v1/imports/customers", data=CUSTOMERS, headers=headers)
    assert done.status_code == 201
    assert done.get_json() == {"kind": "customers", "dry_run": False, "rows": 2, "created": 2, "unchanged": 0}
    again = client.post("/api/v1/imports/customers", data=CUSTOMERS.encode(), headers=headers)
    assert again.get_json()["unchanged"] == 2
    assert customer_emails(app) == ["ada@example.com", "babak@example.com"]


def test_api_import_takes_a_multipart_file_too(app, make_user):
    agent = make_user("agent")
    client = app.test_client()
    headers = bearer(app, agent.id, "customers:write")
    sent = client.post(
        "/api/v1/imports/customers",
        data={"file": (io.BytesIO(CUSTOMERS.encode()), "customers.csv")},
        headers=headers,
    )
    assert sent.status_code == 201, sent.get_json()
    missing = client.post(
        "/api/v1/imports/customers", data={"other": "x"}, headers=headers, content_type="multipart/form-data"
    )
    assert missing.status_code == 422
    assert set(missing.get_json()["errors"]["form"]) == {"file", "other"}
    assert missing.status_code == 422 and "other" in missing.get_json()["errors"]["form"]
    wrong = client.post("/api/v1/imports/customers", json={"file": CUSTOMERS}, headers=headers)
    assert wrong.status_code == 415 and wrong.mimetype == "application/problem+json"


def test_api_bad_rows_are_a_422_listing_every_line(app, make_user):
    agent = make_user("agent")
    headers = {**bearer(app, agent.id, "customers:write"), "Content-Type": "text/csv"}
    answer = app.test_client().post("/api/v1/imports/customers", data=BAD_CUSTOMERS, headers=headers)
    assert answer.status_code == 422
    problem = answer.get_json()
    assert [line["line"] for line in problem["errors"]["lines"]] == [3, 5, 6, 7]
    assert problem["errors"]["lines"][1] == {"line": 5, "message": "The name is missing."}
    assert customer_emails(app) == []


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"", 422),
        (b"email,name\n", 201),
        (b"\xff\xfe\x00\x00", 422),
        (b"email,name\nx@example.com,\x00\n", 422),
        (b'email,name\n"unclosed,' + b"x" * 200_000, 422),
        (b"nickname\n", 422),
    ],
)
def test_api_no_input_is_a_server_error(app, make_user, content, status):
    agent = make_user("agent")
    headers = {**bearer(app, agent.id, "customers:write"), "Content-Type": "text/csv"}
    answer = app.test_client().post("/api/v1/imports/customers", data=content, headers=headers)
    assert answer.status_code == status, answer.get_json()
    if status == 422:
        assert answer.mimetype == "application/problem+json" and answer.get_json()["detail"]


def test_api_size_limit_is_a_413(app, make_user, monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 20)
    agent = make_user("agent")
    headers = {**bearer(app, agent.id, "customers:write"), "Content-Type": "text/csv"}
    answer = app.test_client().post("/api/v1/imports/customers", data=CUSTOMERS, headers=headers)
    assert answer.status_code == 413 and "larger than" in answer.get_json()["detail"]


def test_api_export_is_csv_with_since(app, make_user):
    agent = make_user("agent")
    customer = make_user(name="@SUM(A1)")
    client = app.test_client()
    answer = client.get("/api/v1/exports/customers", headers=bearer(app, agent.id, "customers:read"))
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = csv_rows(answer.get_data(as_text=True))
    assert rows[1][:3] == [str(customer.id), customer.email, "'@SUM(A1)"]
    later = (utcnow() + timedelta(minutes=5)).isoformat() + "Z"
    none = client.get(
        "/api/v1/exports/customers",
        query_string={"since": later},
        headers=bearer(app, agent.id, "customers:read"),
    )
    assert csv_rows(none.get_data(as_text=True)) == [rows[0]]


def test_api_scopes_are_the_kinds_area_and_customers_get_403(app, make_user):
    agent, customer = make_user("agent"), make_user()
    client = app.test_client()
    csv_headers = {"Content-Type": "text/csv"}
    as_customer = bearer(app, customer.id, "customers:write", "loyalty:write")
    assert (
        client.post(
            "/api/v1/imports/customers", data=CUSTOMERS, headers={**as_customer, **csv_headers}
        ).status_code
        == 403
    )
    assert client.get("/api/v1/exports/loyalty.purchases", headers=as_customer).status_code == 403
    read_only = bearer(app, agent.id, "customers:read")
    refused = client.post("/api/v1/imports/customers", data=CUSTOMERS, headers={**read_only, **csv_headers})
    assert refused.status_code == 403 and "customers:write" in refused.get_json()["detail"]
    loyalty = bearer(app, agent.id, "loyalty:write")
    assert client.get("/api/v1/exports/customers", headers=loyalty).status_code == 403
    assert client.get("/api/v1/exports/loyalty.purchases", headers=loyalty).status_code == 200
    unknown = client.get("/api/v1/exports/orders", headers=loyalty)
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    assert customer_emails(app) == [customer.email]


def test_api_purchases_import_applies_the_tokens_role_cap(app, make_user):
    person, agent, admin = make_user(), make_user("agent"), make_user("admin")
    big = purchases(person, ("20", "A1"), ("400000", "A2"))
    client = app.test_client()
    as_agent = {**bearer(app, agent.id, "loyalty:write"), "Content-Type": "text/csv"}
    refused = client.post("/api/v1/imports/loyalty.purchases", data=big, headers=as_agent)
    assert refused.status_code == 422
    assert [line["line"] for line in refused.get_json()["errors"]["lines"]] == [3]
    assert "Agents can grant at most" in refused.get_json()["errors"]["lines"][0]["message"]
    fine = purchases(person, ("20", "A1"), ("4000", "A2"))
    as_admin = {**bearer(app, admin.id, "loyalty:write"), "Content-Type": "text/csv"}
    done = client.post("/api/v1/imports/loyalty.purchases", data=fine, headers=as_admin)
    assert done.status_code == 201 and done.get_json()["created"] == 2
    assert balance_of(app, person.id) == 4020
    with app.app_context():
        actors = set(db.session.scalars(select(Entry.actor_id).where(Entry.user_id == person.id)))
        assert actors == {admin.id}


def test_the_api_and_the_import_make_the_same_account(app, make_user):
    agent = make_user("agent")
    client = app.test_client()
    added = client.post(
        "/api/v1/customers/",
        json={"email": "api@example.com", "name": "Api Person", "language": "fa"},
        headers=bearer(app, agent.id, "customers:write"),
    )
    assert added.status_code == 201
    headers = {**bearer(app, agent.id, "customers:write"), "Content-Type": "text/csv"}
    imported = client.post(
        "/api/v1/imports/customers",
        data="email,name,language\nfile@example.com,Api Person,fa\n",
        headers=headers,
    )
    assert imported.status_code == 201
    fields = (
        "role",
        "name",
        "language",
        "timezone",
        "calendar",
        "email_verified_at",
        "last_login_at",
        "phone",
    )
    with app.app_context():
        api_account = db.session.scalar(select(User).where(User.email == "api@example.com"))
        file_account = db.session.scalar(select(User).where(User.email == "file@example.com"))
        assert api_account is not None and file_account is not None
        assert {name: getattr(api_account, name) for name in fields} == {
            name: getattr(file_account, name) for name in fields
        }
        assert api_account.password_hash.startswith("$argon2")
        assert file_account.password_hash.startswith("$argon2")
        registered = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "registered"))
        details = {event.detail["customer_id"]: (event.actor_id, event.detail["via"]) for event in registered}
        assert details == {api_account.id: (agent.id, "api"), file_account.id: (agent.id, "import")}


# --- Switching a plugin off, and the hooks -------------------------------------------------------


def test_a_switched_off_plugin_offers_no_kinds_on_the_command_line_or_the_api(app, make_user, tmp_path):
    person, agent = make_user(), make_user("agent")
    path = sheet(tmp_path, purchases(person, ("20", "A1")))
    headers = bearer(app, agent.id, "loyalty:write")
    with app.app_context():
        switch_plugin("loyalty", False, actor_id=None)
    result = run(app, "import", "loyalty.purchases", path)
    assert result.exit_code == 1 and "these are: customers." in result.output
    client = app.test_client()
    assert client.get("/api/v1/exports/loyalty.purchases", headers=headers).status_code == 404
    posted = client.post(
        "/api/v1/imports/loyalty.purchases",
        data=purchases(person, ("20", "A1")),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert posted.status_code == 404
    assert balance_of(app, person.id) == 0
    with app.app_context():
        switch_plugin("loyalty", True, actor_id=None)
    assert run(app, "import", "loyalty.purchases", path).exit_code == 0


@pytest.mark.plugins("example")
def test_portal_import_kinds_example_notes_offered_only_while_enabled(app, make_user, tmp_path):
    person = make_user()
    path = sheet(tmp_path, f"email,body\n{person.email},Call back on Monday\n")
    with app.app_context():
        assert "example.notes" in import_kinds() and str(import_kinds()["example.notes"].label) == "Notes"
    result = run(app, "import", "example.notes", path)
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    assert "0 created, 1 unchanged" in run(app, "import", "example.notes", path).output
    with app.app_context():
        switch_plugin("example", False, actor_id=None)
        assert "example.notes" not in import_kinds()
    assert run(app, "import", "example.notes", path).exit_code == 1


@pytest.mark.plugins("example")
def test_portal_export_kinds_example_notes_offered_only_while_enabled(app, make_user, tmp_path):
    person = make_user()
    run(app, "import", "example.notes", sheet(tmp_path, f"email,body\n{person.email},+1 555 0100\n"))
    rows = csv_rows(run(app, "export", "example.notes").stdout)
    assert rows[0] == ["email", "body", "created_at"] and rows[1][:2] == [person.email, "'+1 555 0100"]
    with app.app_context():
        switch_plugin("example", False, actor_id=None)
        assert "example.notes" not in export_kinds()
    assert run(app, "export", "example.notes").exit_code == 1


@pytest.mark.plugins("example")
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "notes"}, "its name is 'example.<what>'"),
        ({"name": "loyalty.notes"}, "its name is 'example.<what>'"),
        ({"area": "customers"}, "a plugin's kinds are in its own area, 'example'"),
        ({"required": ("email", "title")}, "its required columns and its key must be among its columns"),
        ({"columns": ("email", "Body")}, "in lowercase letters, digits and underscores"),
    ],
)
def test_portal_import_kinds_outside_the_plugins_name_fail_loudly(app, monkeypatch, change, message):
    broken = dataclasses.replace(portal_example_plugin.transfers.NOTES_IMPORT, **change)
    monkeypatch.setattr(portal_example_plugin.transfers, "NOTES_IMPORT", broken)
    with app.app_context(), pytest.raises(PluginError, match=re.escape(message)):
        import_kinds()


def test_the_openapi_document_declares_csv_bodies_and_answers(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    post = document["paths"]["/api/v1/imports/{kind}"]["post"]
    assert set(post["requestBody"]["content"]) == {"text/csv", "multipart/form-data"}
    assert {"200", "201"} <= set(post["responses"])
    assert post["x-portal-access"]["role"] == "agent"
    get = document["paths"]["/api/v1/exports/{kind}"]["get"]
    assert set(get["responses"]["200"]["content"]) == {"text/csv"}
    assert [parameter["name"] for parameter in get["parameters"] if parameter["in"] == "query"] == ["since"]


def test_created_customers_share_one_hash_per_unit_of_work(app, tmp_path):
    """Argon2 per row would take hours for 100,000 rows; one forgotten password per import is enough."""
    many = "email,name\n" + "".join(f"p{n}@example.com,P {n}\n" for n in range(30))
    assert run(app, "import", "customers", sheet(tmp_path, many)).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(func.distinct(User.password_hash)))) == 1


def test_exported_amounts_are_exact_and_purchases_from_before_have_none(app, make_user, tmp_path):
    person = make_user()
    with app.app_context():
        ledger.credit(person.id, 7, "earned", reason="Purchase OLD", source="import:OLD")
        db.session.add(Purchase(entry_id=db.session.scalar(select(Entry.id)), reference="OLD"))
        db.session.commit()
    imported = run(
        app, "import", "loyalty.purchases", sheet(tmp_path, purchases(person, ("1.10", "C1"), ("1000", "C2")))
    )
    assert imported.exit_code == 0, imported.output
    rows = csv_rows(run(app, "export", "loyalty.purchases").stdout)
    assert [(row[1], row[3]) for row in rows[1:]] == [("", "OLD"), ("1.10", "C1"), ("1000.00", "C2")]
    assert [Decimal(row[1]) for row in rows[2:]] == [Decimal("1.10"), Decimal(1000)]


def test_a_customer_who_leaves_takes_their_purchases_with_them(app, make_user, tmp_path):
    person, other = make_user(), make_user()
    rows = purchases(person, ("20", "P1")) + f"{other.email},30,P2\n"
    assert run(app, "import", "loyalty.purchases", sheet(tmp_path, rows)).exit_code == 0
    with app.app_context():
        account = db.session.get(User, person.id)
        assert account is not None
        contributions.erase_data(account)
        db.session.commit()
        assert db.session.scalars(select(Purchase.reference)).all() == ["P2"]
