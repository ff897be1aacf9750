"""The help center at 10,000 articles: time and SQL statements of a search and an article page.

Run it from the project root:  .venv/bin/python benchmarks/helpcenter_search.py [--articles 10000]
                                [--database-url postgresql://postgres@127.0.0.1:5432/bench]

It migrates a fresh database (a temporary SQLite file unless --database-url names an empty one),
seeds N published articles (half English, half with a Persian translation too; a tenth for one
organization only) with bulk inserts through the search index the plugin maintains, signs a customer
in and requests 40 searches and 40 article pages, English and Persian. It prints the median, the 95th
percentile and the slowest time of each, and the statements per request, then does the same at 100
articles, so the growth with size can be read off. The targets are those of the performance issue:
each request within --budget (100 ms) at the 95th percentile, and the same statement count at both
sizes; the script exits with status 1 when either fails.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from bench_app import migrated_app, timed_requests
from sqlalchemy import insert, select

from plugins.helpcenter.models import Article, Category, SearchEntry
from plugins.helpcenter.search_text import index_text
from portal.database import db, utcnow
from portal.testing import TEST_PASSWORD, create_user, log_in

CHUNK = 2000
ENGLISH_WORDS = (
    "account password reset email address change order track delivery parcel return refund invoice "
    "download points earn expire reward tier gift card payment card bank transfer subscription cancel "
    "renew contract document statement appointment booking reschedule profile language notification "
    "privacy data export delete security sign login code mobile app store opening hours warranty "
    "repair exchange size colour voucher discount shipping address phone support ticket answer"
)
PERSIAN_WORDS = (
    "حساب رمز عبور بازنشانی ایمیل نشانی تغییر سفارش پیگیری ارسال بسته مرجوعی بازپرداخت فاکتور "
    "دریافت امتیاز کسب انقضا جایزه سطح کارت هدیه پرداخت انتقال بانکی اشتراک لغو تمدید قرارداد سند "
    "صورتحساب نوبت رزرو پروفایل زبان اعلان حریم داده حذف امنیت ورود کد برنامه فروشگاه ساعت کاری "
    "ضمانت تعمیر تعویض اندازه رنگ تخفیف پشتیبانی پاسخ"
)
ENGLISH = ENGLISH_WORDS.split()
PERSIAN = PERSIAN_WORDS.split()


def sentence(words: list[str], rng: random.Random, length: int) -> str:
    return " ".join(rng.choice(words) for _ in range(length))


def seed(count: int) -> int:
    """Add ``count`` published articles with their search entries; return one article's id to read."""
    rng = random.Random(count)
    now = utcnow()
    categories = [Category(name=f"Topic {number}", position=number) for number in range(12)]
    db.session.add_all(categories)
    db.session.flush()
    category_ids = [category.id for category in categories]
    for offset in range(0, count, CHUNK):
        rows = []
        for number in range(offset, min(offset + CHUNK, count)):
            title = sentence(ENGLISH, rng, 5).capitalize()
            body = "\n\n".join(sentence(ENGLISH, rng, 60) for _ in range(5))
            translations = None
            if number % 2:
                translations = {
                    "fa": {"title": sentence(PERSIAN, rng, 5), "body": sentence(PERSIAN, rng, 300)}
                }
            rows.append(
                {
                    "title": title,
                    "body": body,
                    "translations": translations,
                    "status": "published",
                    "audience": "organization:1" if number % 10 == 0 else "everyone",
                    "category_id": rng.choice(category_ids),
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "published_at": now,
                    "views": rng.randrange(1000),
                }
            )
        ids = db.session.scalars(insert(Article).returning(Article.id), rows).all()
        entries = []
        for article_id, row in zip(ids, rows, strict=True):
            entries.append(
                {
                    "article_id": article_id,
                    "language": "",
                    "title": index_text(row["title"]),
                    "body": index_text(row["body"]),
                }
            )
            if row["translations"]:
                fa = row["translations"]["fa"]
                entries.append(
                    {
                        "article_id": article_id,
                        "language": "fa",
                        "title": index_text(fa["title"]),
                        "body": index_text(fa["body"]),
                    }
                )
        db.session.execute(insert(SearchEntry), entries)
        db.session.commit()
    return db.session.scalar(select(Article.id).where(Article.audience == "everyone").limit(1)) or 0


def run(count: int, database_url: str) -> dict[str, tuple[list[float], set[int]]]:
    app = migrated_app(["helpcenter"], database_url, "helpcenter-bench-")
    with app.test_request_context():
        started = time.perf_counter()
        article_id = seed(count)
        print(f"seeded {count} articles in {time.perf_counter() - started:.1f}s")
    customer = create_user(app, "customer")
    client = app.test_client()
    log_in(client, customer.email, TEST_PASSWORD)
    rng = random.Random(7)
    searches = [f"/help/search?q={sentence(ENGLISH, rng, 3)}" for _ in range(20)]
    searches += [f"/help/search?q={sentence(PERSIAN, rng, 2)}" for _ in range(20)]
    articles = [f"/help/articles/{article_id + step * 2}" for step in range(40)]
    timed_requests(app, client, searches[:2] + articles[:2])  # warm the caches and the templates
    return {
        "search": timed_requests(app, client, searches),
        "article page": timed_requests(app, client, articles),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="an empty database; SQLite when left out")
    parser.add_argument("--small-database-url", default="", help="a second empty database for 100 articles")
    parser.add_argument("--budget", type=float, default=100.0, help="milliseconds at the 95th percentile")
    args = parser.parse_args()
    large = run(args.articles, args.database_url)
    small = run(100, args.small_database_url)
    failed = False
    print(f"{'request':<14}{'articles':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  statements")
    for name in large:
        for size, results in ((100, small), (args.articles, large)):
            times, counts = results[name]
            p95 = statistics.quantiles(times, n=20)[-1]
            print(
                f"{name:<14}{size:>9}{statistics.median(times):>9.1f}{p95:>9.1f}{max(times):>9.1f}"
                f"  {sorted(counts)}"
            )
            failed |= p95 > args.budget
        failed |= large[name][1] != small[name][1]
    print("FAILED" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
