"""Documents for ``portal seed``: each published to one customer, with one version of one shared file.

Every version points at the same small stored file, so a million documents cost rows, not disk; a
download of any of them works.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from portal.plugin import SeedRun, storage

from .customer_data import DEMO_DOCUMENTS
from .models import Document, Version

FIRST_CUSTOMER_DOCUMENTS = 40  # more than a page of the documents list for the benchmark's customer


def seed_documents(run: SeedRun) -> None:
    """``run.counts.documents`` published documents, each addressed to one customer, with a version."""
    rng = run.random("documents")
    customers = run.customer_ids
    total = run.counts.documents if customers else 0
    if not total:
        return
    stored = storage().save(io.BytesIO(b"A seeded document.\n"), prefix="documents", filename_hint="seed.txt")
    kinds = [(category, title, description) for category, title, description in DEMO_DOCUMENTS]

    def documents() -> Iterator[dict[str, Any]]:
        for number in range(total):
            category, title, description = kinds[number % len(kinds)]
            published_at = run.moment(rng)
            yield {
                "title": f"{title} ({number + 1})",
                "description": description,
                "category": category,
                "audience_customer_id": customers[0]
                if number < FIRST_CUSTOMER_DOCUMENTS
                else rng.choice(customers),
                "published": True,
                "published_at": published_at,
                "created_at": published_at,
            }

    ids = run.insert_returning(Document, Document.id, documents(), total, "documents")
    versions = (
        {
            "document_id": document_id,
            "number": 1,
            "storage_key": stored.key,
            "filename": "document.txt",
            "mimetype": "text/plain",
            "size": stored.size,
            "sha256": stored.sha256,
            "created_at": run.started,
        }
        for document_id in ids
    )
    run.insert(Version, versions, total, "document versions")
