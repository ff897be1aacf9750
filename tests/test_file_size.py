"""File sizes read naturally, in the reader's language, wherever a template or plugin writes one."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

from portal.file_size import format_file_size
from portal.plugin import db, set_setting
from portal.plugin import format_file_size as offered_format_file_size


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (512, "512 bytes"),
        (1023, "1,023 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (10 * 1024, "10 KB"),
        (13_000, "13 KB"),
        (5 * 1024 * 1024, "5 MB"),
        (int(2.3 * 1024**3), "2.3 GB"),
        (3 * 1024**4, "3 TB"),
        (5000 * 1024**4, "5,000 TB"),
    ],
)
def test_sizes_read_naturally_in_english(app: Flask, size: int, words: str) -> None:
    with app.test_request_context(), force_locale("en"):
        assert format_file_size(size) == words


def test_persian_has_its_own_digits_and_decimal_sign(app: Flask) -> None:
    """The numbers come from Babel's Persian locale; the unit words from the Persian catalogue."""
    with app.test_request_context(), force_locale("fa"):
        assert format_file_size(1536).startswith("۱٫۵ ")
        assert format_file_size(0).startswith("۰ ")
        assert format_file_size(10 * 1024 * 1024).startswith("۱۰ ")


def test_every_template_writes_sizes_through_the_helper(app: Flask) -> None:
    """Jinja's own filesizeformat said "0 Bytes" and "1.5 kB" in every language; ours is replaced."""
    with app.test_request_context(), force_locale("en"):
        assert render_template_string("{{ 0|filesizeformat }} / {{ 1536|file_size }}") == "0 bytes / 1.5 KB"


def test_plugins_get_it_from_the_contract() -> None:
    assert offered_format_file_size is format_file_size


# ---- limits stated next to upload fields ---------------------------------------------------------


def hint_of(page: str, field_id: str) -> str:
    """The hint an upload field points to with aria-describedby, as a screen reader would read it."""
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page).group(0)
    assert f'aria-describedby="{field_id}-hint' in tag, "the hint belongs to the field"
    return html.unescape(re.search(rf'<p class="hint" id="{field_id}-hint">(.*?)</p>', page, re.S).group(1))


@pytest.mark.plugins("tickets")
def test_an_attachment_field_says_what_it_accepts_from_the_settings_it_checks(app, client, login_as):
    login_as("customer")
    assert hint_of(client.get("/tickets/new").get_data(as_text=True), "files") == (
        "Up to 5 files, each at most 5 MB: PNG, JPEG, GIF, PDF, TXT."
    )
    with app.app_context():
        set_setting("tickets", "attachment_max_mb", 12, actor_id=None)
        set_setting("tickets", "attachment_types", "pdf, png", actor_id=None)
        db.session.commit()
    assert hint_of(client.get("/tickets/new").get_data(as_text=True), "files") == (
        "Up to 5 files, each at most 12 MB: PDF, PNG."
    )


@pytest.mark.plugins("documents")
def test_a_document_upload_says_what_it_accepts_from_the_setting_it_checks(app, client, login_as):
    login_as("admin")
    with app.app_context():
        set_setting("documents", "max_upload_mb", 8, actor_id=None)
        db.session.commit()
    assert hint_of(client.get("/staff/documents/new").get_data(as_text=True), "file") == (
        "PDF, PNG, JPEG, plain text, DOCX, XLSX; at most 8 MB."
    )
