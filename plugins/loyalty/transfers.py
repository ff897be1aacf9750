"""Purchases in and out as CSV: the ``loyalty.purchases`` kinds of the core's import and export.

A row is credited exactly as the staff form credits a purchase (``awards.record_purchase``): points
by the customer's tier, within the per-grant cap of the role of whoever the import is recorded for,
and keyed on the receipt (``purchase:<reference>``), so a receipt earns once whether the form, the
API or a file sends it, and a file imported twice credits nothing again. The export lists every
purchase with what was paid, for the shop or the accounts to compare.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.plugin import ExportKind, ImportContext, ImportKind, ImportRowError, User, db
from portal.plugin import gettext_or_source as _

from . import awards, grants, ledger
from .grants import Granter, ServerOperator
from .ledger import LedgerError
from .models import REFERENCE_MAX, Entry, Purchase

# The ledger source of a receipt, as the staff form and the API key it; the former
# ``portal loyalty import-purchases`` keyed its receipts ``import:<reference>``, which still count.
SOURCE = "purchase:"
FORMER_IMPORT_SOURCE = "import:"
BATCH = 1000


@dataclass(frozen=True)
class PurchaseRow:
    """A checked row: whose purchase, what was paid, and the receipt."""

    user_id: int
    amount: Decimal
    reference: str


def check_purchase(row: Mapping[str, str], context: ImportContext) -> PurchaseRow:
    """The customer, amount and receipt of a row, held to the staff form's rules and the granter's cap.

    A receipt recorded before for the same customer passes (importing it changes nothing); one
    recorded for another customer is refused.
    """
    email = row["email"].strip().lower()
    reference = row["reference"].strip()
    if not email:
        raise ImportRowError(_("The email is missing."))
    if not reference or len(reference) > REFERENCE_MAX:
        raise ImportRowError(
            _("The reference is missing or longer than %(max)d characters.", max=REFERENCE_MAX)
        )
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or user.role != "customer":
        raise ImportRowError(_("No customer has the email %(email)s.", email=email))
    try:
        amount = ledger.parse_amount(row["amount"])
        owner = _receipt_owner(reference)
        if owner is None:
            points = awards.purchase_points(user.id, amount)
            if points <= 0:
                raise LedgerError(_("This purchase earns no points."))
            grants.refuse_above_cap(points, _granter(context).role)
    except LedgerError as error:
        raise ImportRowError(str(error)) from None
    if owner not in (None, user.id):
        raise ImportRowError(
            _("The reference %(reference)s was recorded for another customer.", reference=reference)
        )
    return PurchaseRow(user.id, amount, reference)


def credit_purchase(purchase: PurchaseRow, context: ImportContext) -> bool:
    """Credit the purchase as the staff form does; ``False`` when its receipt was credited before."""
    if _receipt_owner(purchase.reference) is not None:
        return False
    try:
        entry = awards.record_purchase(
            purchase.user_id,
            purchase.amount,
            purchase.reference,
            _granter(context),
            SOURCE + purchase.reference,
        )
    except LedgerError as error:
        raise ImportRowError(str(error)) from None
    return entry is not None


def purchase_rows(since: datetime | None) -> Iterator[Sequence[object]]:
    """Every purchase, oldest first: the customer's address, amount, points, receipt and moment."""
    query = (
        select(User.email, Purchase.amount_cents, Entry.points, Purchase.reference, Entry.created_at)
        .join(Entry, Entry.id == Purchase.entry_id)
        .join(User, User.id == Entry.user_id)
    )
    if since is not None:
        query = query.where(Entry.created_at >= since)
    rows = db.session.execute(query.order_by(Purchase.entry_id).execution_options(yield_per=BATCH))
    for email, cents, points, reference, created_at in rows:
        amount = None if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01"))
        yield email, amount, points, reference, created_at


def _receipt_owner(reference: str) -> int | None:
    """The customer a receipt was credited to, by the form, the API or an import; ``None`` if nobody."""
    sources = [SOURCE + reference, FORMER_IMPORT_SOURCE + reference]
    return db.session.scalar(select(Entry.user_id).where(Entry.source.in_(sources)).limit(1))


def _granter(context: ImportContext) -> Granter:
    """Whom the import is recorded for: their role's cap applies; the server's operator has an admin's."""
    return context.actor if context.actor is not None else ServerOperator()


PURCHASES_IMPORT = ImportKind(
    name="loyalty.purchases",
    label=_l("Loyalty purchases"),
    area="loyalty",
    columns=("email", "amount", "reference"),
    required=("email", "amount", "reference"),
    check=check_purchase,
    apply=credit_purchase,
    key="reference",
    ignored=("points", "created_at"),
)
PURCHASES_EXPORT = ExportKind(
    name="loyalty.purchases",
    label=_l("Loyalty purchases"),
    area="loyalty",
    columns=("email", "amount", "points", "reference", "created_at"),
    rows=purchase_rows,
)
