"""Files that follow the database: gone when their row's removal commits, kept when it rolls back.

A row and its file cannot change in one transaction. Deleting the file first loses it if the
transaction then fails (the row still points at nothing); deleting it after the caller's commit is
easy to forget. ``delete_after_commit`` notes the keys on the session and removes them once the
outermost transaction commits; a rollback forgets them, so the files stay with their rows.
``discard_unless_committed`` is the mirror image for a file saved before its row: a rollback
removes it, a commit keeps it.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.database import db
from portal.storage.base import Storage
from portal.storage.errors import StorageError

log = logging.getLogger(__name__)

_DELETE_ON_COMMIT = "portal_storage_delete_on_commit"
_DELETE_ON_ROLLBACK = "portal_storage_delete_on_rollback"


def delete_after_commit(*keys: str) -> None:
    """Remove stored ``keys`` once the current transaction commits, and never if it fails.

    Call it where the rows pointing at the files are deleted. A savepoint rolled back inside a
    transaction that then commits does not take its keys back: note them outside such savepoints.
    """
    _note(_DELETE_ON_COMMIT, keys)


def discard_unless_committed(*keys: str) -> None:
    """Remove freshly saved ``keys`` if the current transaction rolls back, so no file is orphaned."""
    _note(_DELETE_ON_ROLLBACK, keys)


def _note(kind: str, keys: tuple[str, ...]) -> None:
    from portal.storage import storage  # the package imports this module; the backend is per app

    backend = storage()
    session = db.session()
    if session.get_transaction() is None:
        session.begin()  # so the commit or rollback that settles these keys has a transaction to end
    session.info.setdefault(kind, []).extend((backend, key) for key in keys)


def _delete(pending: list[tuple[Storage, str]] | None) -> None:
    for backend, key in pending or []:
        try:
            backend.delete(key)
        except (StorageError, OSError):
            log.warning("Could not delete stored file %s; nothing refers to it any more.", key, exc_info=True)


@event.listens_for(Session, "after_commit")
def _delete_committed(session: Session) -> None:
    # Fires for savepoints too; only the outermost commit is final.
    if session.in_nested_transaction():
        return
    session.info.pop(_DELETE_ON_ROLLBACK, None)
    _delete(session.info.pop(_DELETE_ON_COMMIT, None))


@event.listens_for(Session, "after_transaction_end")
def _forget_or_discard(session: Session, transaction: Any) -> None:
    # After a commit both lists are already empty; after a rollback (or a close without commit) the
    # deletions never happened and the new files belong to rows that do not exist.
    if transaction.parent is None:
        session.info.pop(_DELETE_ON_COMMIT, None)
        _delete(session.info.pop(_DELETE_ON_ROLLBACK, None))
