"""The rewards catalogue: pictures kept by content, served to those who may see them, and paged lists."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from test_loyalty import add_reward

from plugins.loyalty import images, ledger
from plugins.loyalty.models import Reward
from portal.plugin import db
from portal.testing import post_form, statements_run

pytestmark = pytest.mark.plugins("loyalty")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
FIELDS = {"title": "Mug", "cost": "300", "stock": "5", "per_customer_limit": "0", "min_tier": "bronze"}


def stored_files(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "files"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def image_key(app: Flask, reward_id: int) -> str | None:
    with app.app_context():
        return db.session.get(Reward, reward_id).image_key


def save_reward(client, url: str, content: bytes | None = None, name: str = "photo.png", **fields: str):
    data: dict[str, object] = {**FIELDS, "active": "y", **fields}
    if content is not None:
        data["image"] = (io.BytesIO(content), name, "image/png")
    return post_form(client, url, data, content_type="multipart/form-data")


# ---- images ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "mimetype"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")]
)
def test_admin_adds_an_image_that_customers_see_in_the_catalogue(app, client, login_as, content, mimetype):
    login_as("admin")
    assert save_reward(client, "/staff/loyalty/rewards/new", content, name="x.bin").status_code == 303
    with app.app_context():
        reward = db.session.scalar(select(Reward))
    assert reward.image_key and len(stored_files(app)) == 1
    staff_list = client.get("/staff/loyalty/").get_data(as_text=True)
    assert f'src="/loyalty/rewards/{reward.id}/image" alt="Mug"' in staff_list
    post_form(client, "/logout", {})
    login_as("customer")
    page = client.get("/loyalty/rewards").get_data(as_text=True)
    img = re.search(r"<img [^>]*>", page).group(0)
    assert 'alt="Mug"' in img and 'width="320"' in img and 'height="180"' in img and 'loading="lazy"' in img
    served = client.get(f"/loyalty/rewards/{reward.id}/image")
    assert served.status_code == 200 and served.data == content
    assert served.mimetype == mimetype
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("inline")
    again = client.get(
        f"/loyalty/rewards/{reward.id}/image", headers={"If-None-Match": served.headers["ETag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (GIF, "Use a PNG, JPEG or WebP image."),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "Use a PNG, JPEG or WebP image."),
        (b"", "The image file is empty."),
        (PNG + b"\x00" * images.MAX_BYTES, "The image is larger than 2 MB. Choose a smaller one."),
    ],
)
def test_a_wrong_or_too_large_image_is_refused_and_nothing_is_kept(app, client, login_as, content, message):
    login_as("admin")
    response = save_reward(client, "/staff/loyalty/rewards/new", content, name="photo.png")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Reward)) is None
    assert stored_files(app) == []


def test_replacing_and_removing_an_image_deletes_the_old_file(app, client, login_as):
    login_as("admin")
    reward_id = add_reward(app)
    url = f"/staff/loyalty/rewards/{reward_id}"
    save_reward(client, url, PNG)
    first = image_key(app, reward_id)
    save_reward(client, url, JPEG, name="new.jpg")
    second = image_key(app, reward_id)
    assert first != second and [p.name for p in stored_files(app)] == [Path(second).name]
    assert "Remove the current image" in client.get(url).get_data(as_text=True)
    both = save_reward(client, url, PNG, remove_image="y")
    assert "Choose a new image or remove the current one, not both." in both.get_data(as_text=True)
    assert image_key(app, reward_id) == second
    save_reward(client, url, remove_image="y")
    assert image_key(app, reward_id) is None and stored_files(app) == []
    assert client.get(f"/loyalty/rewards/{reward_id}/image").status_code == 404


def test_a_failed_form_keeps_the_current_image_stores_nothing_and_says_what_to_fix(app, client, login_as):
    login_as("admin")
    reward_id = add_reward(app)
    url = f"/staff/loyalty/rewards/{reward_id}"
    save_reward(client, url, PNG)
    current = image_key(app, reward_id)
    response = save_reward(client, url, JPEG, name="new.jpg", cost="-5")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The reward is not saved. Fix the fields marked below." in page
    assert "Number must be between 1 and 1000000." in page
    assert "The image is fine but was not kept: choose it again before saving." in page
    assert image_key(app, reward_id) == current
    assert [p.name for p in stored_files(app)] == [Path(current).name]
    with app.app_context():
        assert db.session.get(Reward, reward_id).cost == 300


def test_only_people_who_may_see_the_reward_get_its_image(app, client, login_as):
    login_as("admin")
    save_reward(client, "/staff/loyalty/rewards/new", PNG)
    save_reward(client, "/staff/loyalty/rewards/new", PNG, title="Hidden", active="")
    with app.app_context():
        shown, hidden = db.session.scalars(select(Reward.id).order_by(Reward.id)).all()
    assert client.get(f"/loyalty/rewards/{hidden}/image").status_code == 200  # staff see every reward
    post_form(client, "/logout", {})
    assert client.get(f"/loyalty/rewards/{shown}/image").status_code in (302, 401)
    login_as("customer")
    assert client.get(f"/loyalty/rewards/{shown}/image").status_code == 200
    assert client.get(f"/loyalty/rewards/{hidden}/image").status_code == 404
    assert client.get("/loyalty/rewards/99999999999999999999/image").status_code == 404


# ---- paging ---------------------------------------------------------------------------------------


def test_catalogue_pages_cheapest_first_without_repeats(app, client, login_as):
    login_as("customer")
    for number in range(30):
        add_reward(app, title=f"Reward {number:02d}", cost=100 + number % 3)
    seen: list[str] = []
    url = "/loyalty/rewards"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r"<h2 dir=\"auto\"><bdi>(Reward \d+)</bdi></h2>", page)
        more = re.search(r'href="(/loyalty/rewards\?after=[^"]+)">More rewards', page)
        url = more.group(1).replace("&amp;", "&") if more else ""
    assert len(seen) == 30 and len(set(seen)) == 30
    assert client.get("/loyalty/rewards?after=nonsense").status_code == 200


def test_catalogue_query_budget_does_not_grow_with_the_catalogue(app, client, login_as):
    login_as("customer")
    for number in range(3):
        add_reward(app, title=f"Reward {number}", image_key=f"loyalty/rewards/x{number}.png")
    with statements_run(app) as few:
        assert client.get("/loyalty/rewards").status_code == 200
    for number in range(27):
        add_reward(app, title=f"More {number}", image_key=f"loyalty/rewards/y{number}.png")
    with statements_run(app) as many:
        page = client.get("/loyalty/rewards").get_data(as_text=True)
    assert page.count('class="loyalty-reward-image"') == 20
    assert len(many) == len(few), "\n".join(many)


def test_staff_reward_list_pages_newest_first(app, client, login_as):
    login_as("agent")
    for number in range(25):
        add_reward(app, title=f"Reward {number:02d}")
    first = client.get("/staff/loyalty/").get_data(as_text=True)
    assert "Reward 24" in first and "Reward 04" not in first
    older = re.search(r'href="(/staff/loyalty/\?before=\d+)', first).group(1)
    rest = client.get(older).get_data(as_text=True)
    assert "Reward 04" in rest and "Reward 00" in rest and "Reward 24" not in rest


# ---- redeeming with htmx --------------------------------------------------------------------------


def test_redeeming_with_htmx_answers_with_the_card_and_its_voucher(app, client, login_as):
    person = login_as("customer")
    reward_id = add_reward(app, cost=100, stock=1)
    with app.app_context():
        ledger.credit(person.id, 150, "earned")
        db.session.commit()
    htmx = {"HX-Request": "true"}
    catalogue = client.get("/loyalty/rewards").get_data(as_text=True)
    assert f'hx-get="/loyalty/rewards/{reward_id}/redeem" hx-target="#reward-{reward_id}"' in catalogue
    page = client.get(f"/loyalty/rewards/{reward_id}/redeem", headers=htmx).get_data(as_text=True)
    assert page.lstrip().startswith(f'<article class="card" id="reward-{reward_id}">'), "the card alone"
    assert "You will have 50 points left." in page
    assert f'hx-post="/loyalty/rewards/{reward_id}/redeem" hx-target="#reward-{reward_id}"' in page
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page).group(1)
    done = post_form(client, f"/loyalty/rewards/{reward_id}/redeem", {"request_key": key}, headers=htmx)
    card = done.get_data(as_text=True)
    code = re.search(r"Your voucher code is ([A-Z0-9-]+)\.", card).group(1)
    assert done.status_code == 200 and card.lstrip().startswith(
        f'<article class="card" id="reward-{reward_id}">'
    )
    assert f'<p class="loyalty-voucher">{code}</p>' in card
    assert 'id="loyalty-catalogue-balance" hx-swap-oob="true">You have 50 points.' in card
    refused = post_form(
        client, f"/loyalty/rewards/{reward_id}/redeem", {"request_key": "again"}, headers=htmx
    )
    assert refused.status_code == 422 and "enough points" in refused.get_data(as_text=True)
    expired = post_form(client, f"/loyalty/rewards/{reward_id}/redeem", {"request_key": ""}, headers=htmx)
    assert expired.status_code == 422
    assert "The form expired. Please try again." in expired.get_data(as_text=True)
    with app.app_context():
        assert ledger.balance(person.id) == 50 and ledger.reconcile() == []
