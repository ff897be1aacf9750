"""Helpers the core keeps once for everyone: where a link may send someone, and text outside requests."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.i18n import gettext_or_source
from portal.plugin import gettext_or_source as offered_gettext_or_source
from portal.plugin import local_path as offered_local_path
from portal.urls import local_path


@pytest.mark.parametrize("target", ["/", "/account/", "/tickets/12?tab=files#reply", "/staff/customers/3"])
def test_a_path_on_this_portal_is_kept(target):
    assert local_path(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "account",  # relative
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/\\/evil.example",
        "/\t/evil.example",  # browsers drop the tab and read //evil.example
        "/\n/evil.example",
        "/x\x00y",
        "/x\x7fy",
        "javascript:alert(1)",
    ],
)
def test_anything_that_can_leave_the_portal_is_refused(target):
    assert local_path(target) is None


def test_plugins_get_the_same_helpers_from_the_contract():
    assert offered_local_path is local_path
    assert offered_gettext_or_source is gettext_or_source


def test_text_is_translated_in_a_request_and_kept_as_written_outside_one(app: Flask):
    with app.test_request_context(headers={"Accept-Language": "fa"}):
        assert gettext_or_source("Customers") == "مشتریان"
        # Untranslated text is kept as written, its numbers still in the reader's digits.
        assert gettext_or_source("%(n)d of %(m)d", n=1, m=2) == "۱ of ۲"
    with app.app_context():
        assert gettext_or_source("Customers") == "Customers"
        assert gettext_or_source("Rated %(count)d tickets", count=3) == "Rated 3 tickets"
