"""In a real browser: staff publish a document to one customer, who downloads it; another cannot."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.testing.browser import BrowserProblems, LiveServer, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("documents")]

PDF = b"%PDF-1.4\n%journey\ntrailer <<>>\n%%EOF\n"


def test_staff_publish_one_customer_downloads_another_cannot(
    make_user,
    live_server: LiveServer,
    page: Page,
    browser: Browser,
    browser_problems: BrowserProblems,
    tmp_path: Path,
) -> None:
    agent = make_user("agent")
    sara = make_user("customer", name="Sara Ahmadi")
    omid = make_user("customer", name="Omid Karimi")
    upload = tmp_path / "contract.pdf"
    upload.write_bytes(PDF)

    sign_in_page(page, live_server, agent)
    page.goto("/staff/documents/new")
    page.get_by_label("Title", exact=True).fill("Service contract")
    page.get_by_label("Category").select_option("contract")
    page.get_by_label("One customer").check()
    page.get_by_label("The customer's email address").fill(sara.email)
    page.get_by_label("File", exact=True).set_input_files(str(upload))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service contract")
    expect(page.get_by_text("Nobody has downloaded it yet.")).to_be_visible()
    document_url = page.url.replace("/staff/documents/", "/documents/")

    customer_context = browser.new_context(base_url=live_server.url, locale="en-US")
    customer_page = customer_context.new_page()
    sign_in_page(customer_page, live_server, sara)
    customer_page.goto("/documents/")
    customer_page.get_by_role("link", name="Service contract").click()
    with customer_page.expect_download() as download_info:
        customer_page.get_by_role("link", name="Download contract.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "contract.pdf"
    assert Path(download.path()).read_bytes() == PDF
    customer_context.close()

    other_context = browser.new_context(base_url=live_server.url, locale="en-US")
    other_page = other_context.new_page()
    sign_in_page(other_page, live_server, omid)
    other_page.goto("/documents/")
    expect(other_page.get_by_text("No documents here.")).to_be_visible()
    response = other_page.goto(document_url)
    assert response is not None and response.status == 404
    other_context.close()

    page.reload()
    expect(page.get_by_text("Sara Ahmadi")).to_be_visible()
    assert browser_problems.all() == []
