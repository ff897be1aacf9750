"""The documents API: list, read and download documents; staff publish them and upload versions.

The same rules as the pages, through the same functions: a customer's token sees what
``access.visible_condition`` lets the customer see (published, unexpired, addressed to them, their
organization, a segment they are in, or everyone; never a draft), only the newest version, and a
download is streamed and counted by the customer download view's own function. Staff tokens see
every document with its status, audience and every version. Uploads go through
``publishing.store_upload``, so the size limit and the check of what a file is are the staff form's.

There is no one-time key column on documents, so an ``Idempotency-Key`` on ``POST /documents/`` is
checked but cannot stop a retry from creating a second draft; creating is therefore separate from
publishing, which is idempotent (one conditional UPDATE), so a retried publish tells nobody twice.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import marshmallow as ma
from flask_smorest.fields import Upload
from sqlalchemy import ColumnElement, DateTime, Select, case, func, or_, select, type_coerce
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from portal.plugin import (
    ID_MAX,
    IDEMPOTENCY_PARAMETER,
    ApiBlueprint,
    FileTooLargeError,
    SyncArguments,
    Text,
    User,
    UtcDateTime,
    api_abort,
    api_access,
    api_page,
    current_api_user,
    db,
    idempotency_key,
    page_of,
    segment_by_key,
    storage,
)

from . import access, filetypes, publishing, views
from .models import AUDIENCE_MAX, DESCRIPTION_MAX, TITLE_MAX, Document, DocumentTemplate, Version
from .settings import categories

api = ApiBlueprint(
    "documents_api",
    __name__,
    url_prefix="/documents",
    description="Documents published to customers, their versions and downloads.",
)

KINDS = ("file", "template")
STATUSES = ("draft", "published")
AUDIENCES = ("customer", "segment")
EMAIL_MAX = 254
FILE_RESPONSE = {"schema": {"type": "string", "format": "binary"}}


class DocumentVersionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    number = ma.fields.Integer(required=True, metadata={"description": "1 for the first upload, then 2, …"})
    filename = ma.fields.String(required=True, metadata={"description": "The name a download gets."})
    content_type = ma.fields.String(
        required=True,
        metadata={"description": "What the file is, from its content.", "enum": filetypes.PUBLISHABLE},
    )
    size = ma.fields.Integer(required=True, metadata={"description": "In bytes."})
    created_at = UtcDateTime(required=True)


class DocumentAudienceSchema(ma.Schema):
    customer_id = ma.fields.Integer(required=True, allow_none=True)
    segment = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "A segment key: all-customers, organization:12, …"},
    )


class DocumentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    kind = ma.fields.String(
        required=True,
        metadata={
            "enum": list(KINDS),
            "description": "template: a PDF made for each customer who downloads it.",
        },
    )
    status = ma.fields.String(required=True, metadata={"enum": list(STATUSES)})
    published_at = UtcDateTime(required=True, allow_none=True)
    expires_at = UtcDateTime(
        required=True, allow_none=True, metadata={"description": "Customers no longer see it after this."}
    )
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(
        required=True, metadata={"description": "When it was last published or given a new version."}
    )
    current_version = ma.fields.Nested(
        DocumentVersionSchema,
        required=True,
        allow_none=True,
        metadata={"description": "What a download sends."},
    )
    audience = ma.fields.Nested(
        DocumentAudienceSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Staff only; null for customers."},
    )


class DocumentDetailSchema(DocumentSchema):
    versions = ma.fields.List(
        ma.fields.Nested(DocumentVersionSchema),
        required=True,
        metadata={"description": "Newest first: every version for staff, the current one for customers."},
    )


class NewDocumentSchema(ma.Schema):
    """The staff form "Publish a document", without the file: that is the first version's upload."""

    title = Text(required=True, max_length=TITLE_MAX)
    description = Text(load_default="", min_length=0, max_length=DESCRIPTION_MAX)
    category = ma.fields.String(required=True, validate=ma.validate.Length(1, 40))
    audience = ma.fields.String(required=True, validate=ma.validate.OneOf(AUDIENCES))
    customer_email = ma.fields.Email(
        load_default=None,
        validate=ma.validate.Length(max=EMAIL_MAX),
        metadata={"description": "With audience customer: the one customer who sees it."},
    )
    segment = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(1, AUDIENCE_MAX),
        metadata={"description": "With audience segment: all-customers, organization:12, …"},
    )
    template_id = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(1, ID_MAX),
        metadata={"description": "Make it from this template instead of a file."},
    )
    expires_on = ma.fields.Date(
        load_default=None,
        validate=ma.validate.Range(date(1900, 1, 1), date(9000, 1, 1)),
        metadata={"description": "Customers no longer see it after this day."},
    )
    publish_now = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "Only for a template document; a document for a file is published "
            "with POST /documents/{id}/publish once its file is uploaded."
        },
    )

    @ma.validates("category")
    def _offered(self, value: str, **_kwargs: Any) -> None:
        if value not in categories():
            raise ma.ValidationError(f"Choose one of: {', '.join(categories())}.")

    @ma.validates_schema
    def _audience_named(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("audience") == "customer" and not data.get("customer_email"):
            raise ma.ValidationError("Give the customer's email address.", "customer_email")
        if data.get("audience") == "segment" and not data.get("segment"):
            raise ma.ValidationError("Give the key of the group of customers.", "segment")
        if data.get("publish_now") and data.get("template_id") is None:
            raise ma.ValidationError(
                "A document for a file has no file yet: upload it to /documents/{id}/versions, "
                "then POST /documents/{id}/publish.",
                "publish_now",
            )


class DocumentUploadSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "PDF, PNG, JPEG, plain text, DOCX or XLSX."})


DocumentPage = page_of(DocumentSchema, "DocumentPageSchema")


# --- reading ---------------------------------------------------------------------------------------


def _newest_version_time() -> Any:
    return (
        select(Version.created_at)
        .where(Version.document_id == Document.id)
        .order_by(Version.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _updated_at() -> ColumnElement[datetime]:
    """When the document last changed for its readers: published, or given a new version."""
    base = func.coalesce(Document.published_at, Document.created_at)
    newest = _newest_version_time()
    return type_coerce(case((newest > base, newest), else_=base), DateTime())


def _readable(user: User) -> Select[Any]:
    """Every document for staff; for a customer, exactly the customer list page's documents."""
    if user.is_staff:
        return select(Document)
    has_content = or_(
        select(Version.id).where(Version.document_id == Document.id).exists(),
        Document.template_id.is_not(None),
    )
    return select(Document).where(access.visible_condition(user), has_content)


def _readable_document(user: User, document_id: int) -> Document:
    document = db.session.scalar(_readable(user).where(Document.id == document_id))
    if document is None:
        api_abort(404)
    return document


def _versions(user: User, document: Document) -> list[Version]:
    newest_first = select(Version).where(Version.document_id == document.id).order_by(Version.id.desc())
    return list(db.session.scalars(newest_first if user.is_staff else newest_first.limit(1)))


def _current_versions(documents: list[Document]) -> dict[int, Version]:
    newest = (
        select(func.max(Version.id))
        .where(Version.document_id.in_([document.id for document in documents]))
        .group_by(Version.document_id)
    )
    return {
        version.document_id: version
        for version in db.session.scalars(select(Version).where(Version.id.in_(newest)))
    }


def _changed(document: Document, current: Version | None) -> datetime:
    """The Python side of ``_updated_at``, so an item's time and its cursor agree."""
    base = document.published_at or document.created_at
    return current.created_at if current is not None and current.created_at > base else base


def _version_fields(version: Version) -> dict[str, Any]:
    return {
        "id": version.id,
        "number": version.number,
        "filename": version.filename,
        "content_type": version.mimetype,
        "size": version.size,
        "created_at": version.created_at,
    }


def _document_fields(user: User, document: Document, current: Version | None) -> dict[str, Any]:
    audience = {"customer_id": document.audience_customer_id, "segment": document.audience_key}
    return {
        "id": document.id,
        "title": document.title,
        "description": document.description,
        "category": document.category,
        "kind": "template" if document.template_id is not None else "file",
        "status": "published" if document.published else "draft",
        "published_at": document.published_at,
        "expires_at": document.expires_at,
        "created_at": document.created_at,
        "updated_at": _changed(document, current),
        "current_version": _version_fields(current) if current is not None else None,
        "audience": audience if user.is_staff else None,
    }


def _detail(user: User, document: Document) -> dict[str, Any]:
    versions = _versions(user, document)
    fields = _document_fields(user, document, versions[0] if versions else None)
    return fields | {"versions": [_version_fields(version) for version in versions]}


def _cursor_values(document: Document) -> tuple[datetime, int]:
    return _changed(document, _current_versions([document]).get(document.id)), document.id


@api.route("/")
@api.etag
@api.arguments(SyncArguments, location="query")
@api.response(200, DocumentPage)
@api_access("customer", "documents:read")
def list_documents(arguments: dict[str, Any]) -> Any:
    """Documents in the order they last changed (published, or a new version), oldest change first.

    A customer's token lists what the customer's Documents page lists; staff see every document,
    drafts included. Pass ``updated_since`` to fetch only what changed since the last sync.
    """
    user = current_api_user()
    updated_at = _updated_at()
    query = _readable(user)
    if arguments["updated_since"]:
        query = query.where(updated_at >= arguments["updated_since"])
    page = api_page(
        query,
        [updated_at, Document.id],
        arguments,
        values=_cursor_values,
    )
    current = _current_versions(page["items"]) if page["items"] else {}
    page["items"] = [_document_fields(user, document, current.get(document.id)) for document in page["items"]]
    return page


@api.route("/<int:document_id>")
@api.etag
@api.response(200, DocumentDetailSchema)
@api_access("customer", "documents:read")
def get_document(document_id: int) -> Any:
    """One document with its versions, if this token's account may see it (otherwise 404)."""
    user = current_api_user()
    return _detail(user, _readable_document(user, document_id))


@api.route("/<int:document_id>/download")
@api.doc(
    responses={
        "200": {
            "description": "The file of the current version (a template document: a PDF made for you).",
            "content": {content_type: FILE_RESPONSE for content_type in filetypes.PUBLISHABLE},
        },
        "206": {
            "description": "The part of the file a Range header asked for.",
            "content": {content_type: FILE_RESPONSE for content_type in filetypes.PUBLISHABLE},
        },
        "304": {"description": "Not modified since the ETag sent in If-None-Match."},
    }
)
@api_access("customer", "documents:read")
def download(document_id: int) -> Response:
    """The current version's file, as the Documents page sends it: counted in the download log.

    Resumable and cacheable (Range, ETag); staff downloads are not counted, as on the staff pages.
    """
    user = current_api_user()
    document = _readable_document(user, document_id)
    if user.is_staff:
        return _staff_download(document)
    response = views._download(document, access.latest_version(document.id))
    if response.status_code == 503:
        api_abort(503, "This document cannot be made right now; try again later.")
    return response


def _staff_download(document: Document) -> Response:
    version = access.latest_version(document.id)
    if version is None:
        api_abort(
            404, "This document has no file: it is made for each customer who downloads it, or has none yet."
        )
    return storage().download_response(
        version.storage_key, download_name=version.filename, mimetype=version.mimetype
    )


# --- staff -----------------------------------------------------------------------------------------


@api.route("/", methods=["POST"])
@api.arguments(NewDocumentSchema)
@api.response(201, DocumentDetailSchema)
@api.doc(parameters=[IDEMPOTENCY_PARAMETER])
@api_access("agent", "documents:write")
def create_document(fields: dict[str, Any]) -> Any:
    """Create a document as the staff form does: a draft, or published at once from a template.

    With an Idempotency-Key, a repeat by the same staff member answers the document the first request
    made: the key is a unique column, so two at the same moment make one document and publish it once.
    """
    user = current_api_user()
    key = idempotency_key()
    if key is not None and (earlier := _created_with(user.id, key)) is not None:
        return _detail(user, earlier)
    document = Document(
        title=fields["title"],
        description=fields["description"],
        category=fields["category"],
        template_id=_template_id(fields["template_id"]),
        expires_at=datetime.combine(fields["expires_on"], time.max) if fields["expires_on"] else None,
        created_by=user.id,
        request_key=key,
        **_audience(fields),
    )
    db.session.add(document)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        twin = _created_with(user.id, key) if key is not None else None
        if twin is None:
            raise
        return _detail(user, twin)
    if fields["publish_now"]:
        publishing.publish(document, user)
    db.session.commit()
    return _detail(user, document)


def _created_with(user_id: int, key: str) -> Document | None:
    return db.session.scalar(
        select(Document).where(Document.created_by == user_id, Document.request_key == key)
    )


def _audience(fields: dict[str, Any]) -> dict[str, Any]:
    if fields["audience"] == "customer":
        email = fields["customer_email"].strip().lower()
        customer_id = db.session.scalar(select(User.id).where(User.email == email, User.role == "customer"))
        if customer_id is None:
            api_abort(422, errors={"json": {"customer_email": ["No customer has this email address."]}})
        return {"audience_customer_id": customer_id, "audience_key": None}
    if segment_by_key(fields["segment"]) is None:
        api_abort(422, errors={"json": {"segment": ["No group of customers has this key."]}})
    return {"audience_customer_id": None, "audience_key": fields["segment"]}


def _template_id(template_id: int | None) -> int | None:
    if template_id is not None and db.session.get(DocumentTemplate, template_id) is None:
        api_abort(422, errors={"json": {"template_id": ["No template has this id."]}})
    return template_id


def _staff_document(document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None:
        api_abort(404)
    return document


@api.route("/<int:document_id>/publish", methods=["POST"])
@api.response(200, DocumentDetailSchema)
@api_access("agent", "documents:write")
def publish(document_id: int) -> Any:
    """Show the document to its audience and notify them, once: publishing it again changes nothing."""
    user = current_api_user()
    document = _staff_document(document_id)
    if document.template_id is None and access.latest_version(document.id) is None:
        api_abort(409, "This document has no file yet: upload it to /documents/{id}/versions first.")
    publishing.publish(document, user)
    db.session.commit()
    return _detail(user, document)


@api.route("/<int:document_id>/versions", methods=["POST"])
@api.arguments(DocumentUploadSchema, location="files")
@api.response(201, DocumentVersionSchema)
@api_access("agent", "documents:write")
def upload_version(files: dict[str, Any], document_id: int) -> Any:
    """Add a file as the newest version, held to the staff form's size limit and kinds of file.

    Too large is a 413, a kind of file that cannot be published a 422; either way nothing is kept.
    """
    user = current_api_user()
    document = _staff_document(document_id)
    if document.template_id is not None:
        api_abort(409, "This document is made from a template; it has no file versions.")
    try:
        version = publishing.store_upload(files["file"], document, user.id)
    except publishing.UploadRefusedError as problem:
        db.session.rollback()
        if isinstance(problem.__cause__, FileTooLargeError):
            api_abort(413, str(problem))
        api_abort(422, errors={"files": {"file": [str(problem)]}})
    db.session.commit()
    return _version_fields(version)
