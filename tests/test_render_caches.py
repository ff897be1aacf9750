"""What a page needs from disk and from CLDR is read once per process, not once per request.

A Persian page used to read every catalogue (the core's and each plugin's) from its ``.mo`` file on
each request; the reader noticed it as a slower page, the operator as CPU spent on parsing files
that never change while the app runs.
"""

from __future__ import annotations

import pytest
from babel.support import Translations

from portal.testing import TEST_PASSWORD, log_in

pytestmark = pytest.mark.plugins("tickets", "loyalty")

YOUR_TICKETS_FA = "درخواست‌های پشتیبانی شما"


def test_a_persian_page_reads_the_catalogues_from_disk_only_for_the_first_request(
    client, login_as, monkeypatch
):
    login_as("customer", language="fa")
    assert YOUR_TICKETS_FA in client.get("/tickets/").get_data(as_text=True)
    loads: list[object] = []
    load = Translations.load

    def counted(*args: object, **kwargs: object) -> object:
        loads.append(args)
        return load(*args, **kwargs)

    monkeypatch.setattr(Translations, "load", counted)
    for url in ("/tickets/", "/loyalty/", "/tickets/"):
        page = client.get(url)
        assert page.status_code == 200 and 'lang="fa"' in page.get_data(as_text=True)
    assert YOUR_TICKETS_FA in client.get("/tickets/").get_data(as_text=True)
    assert loads == [], "a later request read a catalogue file again"


def test_readers_of_two_languages_in_turn_each_get_their_own(app, make_user):
    readers = {}
    for language in ("fa", "en", "fa", "en"):
        if language not in readers:
            readers[language] = app.test_client()
            log_in(readers[language], make_user(language=language).email, TEST_PASSWORD)
        page = readers[language].get("/tickets/").get_data(as_text=True)
        if language == "fa":
            assert YOUR_TICKETS_FA in page and "Your tickets" not in page
        else:
            assert "Your tickets" in page and YOUR_TICKETS_FA not in page
