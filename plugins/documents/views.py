"""The documents pages: the customer's list and downloads at /documents, staff pages at /staff/documents."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.plugin import (
    ID_MAX,
    User,
    admin,
    agent,
    all_segments,
    customer,
    db,
    edit_translations,
    generated_download,
    get_setting,
    is_htmx_request,
    isolated_text,
    keyset_page,
    localized,
    parse_integer,
    render_widget,
    segment_by_key,
    storage,
    store_translations,
    utcnow,
)

from . import access, events, filetypes, links, publishing, template_texts, templating
from .forms import DOCUMENT_TEXTS, ActionForm, DocumentForm, VersionForm, document_form, template_form_class
from .models import Document, DocumentTemplate, Download, Version
from .settings import categories, category_label

bp = Blueprint(
    "documents",
    __name__,
    url_prefix="/documents",
    template_folder="templates",
    static_folder="static",
)
staff_bp = Blueprint("documents_staff", __name__, url_prefix="/staff/documents", template_folder="templates")
staff_bp.add_app_template_global(filetypes.upload_hint, "documents_upload_hint")
bp.add_app_template_global(category_label, "documents_category_label")

SEARCH_MAX = 100
STAFF_PAGE = 30
LOG_PAGE = 50


# --- customers -------------------------------------------------------------------------------------


@bp.route("/")
@customer
def index() -> str:
    """The documents the signed-in customer may see, newest first, filtered and a page at a time."""
    category = request.args.get("category", "")[:40]
    search = request.args.get("q", "").strip()[:SEARCH_MAX]
    before = request.args.get("before")
    page = access.customer_page(current_user, category=category, search=search, before=before)
    context = {
        "page": page,
        "category": category,
        "search": search,
        "categories": categories(),
    }
    if is_htmx_request():
        return render_template("documents/_list.html", **context)
    return render_template("documents/index.html", **context)


def _visible_or_404(document_id: int) -> Document:
    document = access.visible_document(current_user, document_id)
    if document is None:
        abort(404)
    return document


@bp.route("/<int:document_id>")
@customer
def show(document_id: int) -> str:
    document = _visible_or_404(document_id)
    version = access.latest_version(document.id)
    if version is None and document.template_id is None:
        abort(404)
    return render_template("documents/show.html", document=document, version=version)


def _log_download(document: Document, version: Version | None) -> None:
    db.session.add(
        Download(document_id=document.id, version_id=version.id if version else None, user_id=current_user.id)
    )
    events.downloaded(document.id, version.id if version else None, current_user.id)
    db.session.commit()


def _download(document: Document, version: Version | None) -> Response:
    if document.template_id is not None:
        template = db.session.get(DocumentTemplate, document.template_id)
        if template is None:
            abort(404)
        try:
            body = template_texts.body_for(template, current_user.language)
            title = localized(document, "title")
            pdf = templating.pdf_for(body, current_user, title)
        except templating.TemplateCheckError:
            return make_response(render_template("documents/unavailable.html", document=document), 503)
        _log_download(document, None)
        return generated_download(pdf, download_name=f"{title}.pdf", mimetype="application/pdf")
    if version is None:
        abort(404)
    response = storage().download_response(
        version.storage_key, download_name=version.filename, mimetype=version.mimetype
    )
    # A validation answer (304) or a later piece of a resumed download is not a new reading.
    if response.status_code == 200 or (
        response.status_code == 206
        and request.headers.get("Range", "").replace(" ", "").startswith("bytes=0-")
    ):
        _log_download(document, version)
    return response


@bp.route("/<int:document_id>/download")
@customer
def download(document_id: int) -> Response:
    """The newest version, for a customer who may see the document; 404 for everyone else."""
    document = _visible_or_404(document_id)
    return _download(document, access.latest_version(document.id))


@bp.route("/<int:document_id>/versions/<int:version_id>/download")
@customer
def download_version(document_id: int, version_id: int) -> Response:
    """Customers may fetch only the newest version; older ones answer 404 as if they never were."""
    document = _visible_or_404(document_id)
    version = access.latest_version(document.id)
    if version is None or version.id != version_id:
        abort(404)
    return _download(document, version)


@bp.route("/open/<token>")
@customer
def open_link(token: str) -> Response:
    """The signed link from the email: for the customer it was sent to, while the document is theirs."""
    found = links.read_token(token)
    if found is None or found[1] != current_user.id:
        abort(404)
    document = _visible_or_404(found[0])
    return redirect(url_for("documents.show", document_id=document.id))


@bp.route("/widget")
@customer
def widget() -> str:
    since = utcnow() - timedelta(days=int(get_setting("documents", "new_days")))
    documents, count = access.new_for(current_user, since)
    return render_widget("documents/widget.html", title=_("New documents"), documents=documents, count=count)


# --- staff ------------------------------------------------------------------------------------------


def _segment_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("Choose who gets it"))] + [
        SelectChoice(segment.key, str(segment.label)) for segment in all_segments()
    ]


def _template_choices() -> list[SelectChoice]:
    rows = db.session.execute(
        select(DocumentTemplate.id, DocumentTemplate.name).order_by(DocumentTemplate.name)
    ).all()
    return [SelectChoice("", _("No template: upload a file"))] + [
        SelectChoice(str(row.id), isolated_text(row.name)) for row in rows
    ]


def _staff_document_or_404(document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None:
        abort(404)
    return document


def audience_text(document: Document, names: dict[int, str] | None = None) -> str:
    if document.audience_customer_id is not None:
        name = (names or {}).get(document.audience_customer_id)
        if name is None:
            name = db.session.scalar(select(User.email).where(User.id == document.audience_customer_id))
        return _("Customer: %(name)s", name=name or "?")
    segment = segment_by_key(document.audience_key or "")
    if segment is None:
        return _("Nobody (the group %(key)s no longer exists)", key=document.audience_key)
    return str(segment.label)


@staff_bp.route("/")
@agent
def staff_index() -> str:
    page = keyset_page(
        select(Document), [Document.id], cursor=request.args.get("before"), size=STAFF_PAGE, descending=True
    )
    documents = page.items
    counts = dict(
        db.session.execute(
            select(Download.document_id, func.count())
            .where(Download.document_id.in_([d.id for d in documents]))
            .group_by(Download.document_id)
        )
        .tuples()
        .all()
    )
    return render_template(
        "documents/staff_index.html",
        documents=documents,
        next_before=page.next_cursor,
        counts=counts,
        audience_text=audience_text,
    )


@staff_bp.route("/new", methods=["GET", "POST"])
@agent
def staff_new() -> tuple[str, int] | Response:
    form = document_form()()
    form.category.choices = [SelectChoice("", _("Choose a category"))] + [
        SelectChoice(name, category_label(name)) for name in categories()
    ]
    form.segment.choices = _segment_choices()
    form.template.choices = _template_choices()
    if form.validate_on_submit():
        document = _create_from_form(form)
        if document is not None:
            if document.published:
                flash(_("Published: its readers see it now and get a notification."), "success")
            else:
                flash(_("Saved as a draft: nobody sees it until you publish it."), "success")
            return redirect(url_for("documents_staff.staff_show", document_id=document.id))
    status = 422 if form.is_submitted() else 200
    return render_template("documents/staff_new.html", form=form), status


def _create_from_form(form: DocumentForm) -> Document | None:
    """The document the form describes, or ``None`` with the problems on the form's fields."""
    audience_customer_id = None
    audience_key = None
    if form.audience.data == "customer":
        email = (form.customer_email.data or "").strip().lower()
        audience_customer_id = db.session.scalar(
            select(User.id).where(User.email == email, User.role == "customer")
        )
        if audience_customer_id is None:
            form.customer_email.errors.append(_("No customer has this email address."))
            return None
    else:
        if segment_by_key(form.segment.data or "") is None:
            form.segment.errors.append(_("Choose a group from the list."))
            return None
        audience_key = form.segment.data
    template_id = None
    if form.template.data:
        template_id = parse_integer(form.template.data) or -1
        if db.session.get(DocumentTemplate, template_id) is None if 0 < template_id <= ID_MAX else True:
            form.template.errors.append(_("Choose a template from the list."))
            return None
    upload = form.file.data
    if template_id is None and not upload:
        form.file.errors.append(_("Choose a file, or a template."))
        return None
    document = Document(
        title=form.title.data.strip(),
        description=(form.description.data or "").strip(),
        category=form.category.data,
        audience_customer_id=audience_customer_id,
        audience_key=audience_key,
        template_id=template_id,
        expires_at=datetime.combine(form.expires_on.data, time.max) if form.expires_on.data else None,
        created_by=current_user.id,
    )
    store_translations(form, document)
    db.session.add(document)
    db.session.flush()
    if template_id is None:
        try:
            publishing.store_upload(upload, document, current_user.id)
        except publishing.UploadRefusedError as problem:
            db.session.rollback()
            form.file.errors.append(str(problem))
            return None
    if form.publish_now.data:
        publishing.publish(document, current_user)
    db.session.commit()
    return document


@staff_bp.route("/<int:document_id>/translations", methods=["GET", "POST"])
@agent
def staff_translations(document_id: int) -> str | tuple[str, int] | Response:
    """The document's title and description in each further language."""
    document = _staff_document_or_404(document_id)
    return edit_translations(
        document,
        DocumentForm,
        DOCUMENT_TEXTS,
        title=_("Translations: %(title)s", title=document.title),
        back=url_for("documents_staff.staff_show", document_id=document.id),
    )


@staff_bp.route("/<int:document_id>")
@agent
def staff_show(document_id: int) -> str:
    """Everything about one document: every version and who downloaded it when."""
    document = _staff_document_or_404(document_id)
    versions = db.session.scalars(
        select(Version).where(Version.document_id == document.id).order_by(Version.id.desc())
    ).all()
    log = keyset_page(
        select(Download, User.name, User.email)
        .join(User, User.id == Download.user_id)
        .where(Download.document_id == document.id),
        [Download.id],
        cursor=request.args.get("log_before"),
        size=LOG_PAGE,
        descending=True,
        scalars=False,
    )
    return render_template(
        "documents/staff_show.html",
        document=document,
        template=db.session.get(DocumentTemplate, document.template_id) if document.template_id else None,
        versions=versions,
        log=log.items,
        next_before=log.next_cursor,
        audience=audience_text(document),
        version_form=VersionForm(),
        action_form=ActionForm(),
    )


@staff_bp.route("/<int:document_id>/versions", methods=["POST"])
@agent
def staff_new_version(document_id: int) -> Response | str:
    document = _staff_document_or_404(document_id)
    form = VersionForm()
    if document.template_id is not None:
        abort(404)
    if form.validate_on_submit() and form.file.data:
        try:
            publishing.store_upload(form.file.data, document, current_user.id)
        except publishing.UploadRefusedError as problem:
            db.session.rollback()
            flash(str(problem), "error")
        else:
            db.session.commit()
            flash(_("New version added."), "success")
    else:
        flash(_("Choose a file."), "error")
    return redirect(url_for("documents_staff.staff_show", document_id=document_id))


@staff_bp.route("/<int:document_id>/publish", methods=["POST"])
@agent
def staff_publish(document_id: int) -> Response:
    document = _staff_document_or_404(document_id)
    if ActionForm().validate_on_submit():
        if document.template_id is None and access.latest_version(document.id) is None:
            abort(404)
        publishing.publish(document, current_user)
        db.session.commit()
        flash(_("Published: its readers see it now and get a notification."), "success")
    return redirect(url_for("documents_staff.staff_show", document_id=document_id))


@staff_bp.route("/<int:document_id>/unpublish", methods=["POST"])
@agent
def staff_unpublish(document_id: int) -> Response:
    document = _staff_document_or_404(document_id)
    if ActionForm().validate_on_submit():
        publishing.unpublish(document, current_user)
        db.session.commit()
        flash(_("Unpublished: customers no longer see it."), "success")
    return redirect(url_for("documents_staff.staff_show", document_id=document_id))


@staff_bp.route("/<int:document_id>/versions/<int:version_id>/download")
@agent
def staff_download(document_id: int, version_id: int) -> Response:
    version = db.session.scalar(
        select(Version).where(Version.id == version_id, Version.document_id == document_id)
    )
    if version is None:
        abort(404)
    return storage().download_response(
        version.storage_key, download_name=version.filename, mimetype=version.mimetype
    )


# --- templates (administrators) ---------------------------------------------------------------------


def _preview_fields() -> dict[str, dict[str, str]]:
    """Tokens for the preview and the check: the admin's own fields stand in for a customer's."""
    return templating.available_tokens(current_user)


@staff_bp.route("/templates")
@admin
def templates_index() -> str:
    templates = db.session.scalars(select(DocumentTemplate).order_by(DocumentTemplate.name).limit(200)).all()
    return render_template("documents/templates_index.html", templates=templates)


@staff_bp.route("/templates/new", methods=["GET", "POST"])
@staff_bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@admin
def template_edit(template_id: int | None = None) -> str | Response:
    """Write a template and its text in each further language; every text is checked before saving."""
    template = None
    if template_id is not None:
        template = db.session.get(DocumentTemplate, template_id)
        if template is None:
            abort(404)
    languages = template_texts.further_languages()
    saved = template_texts.translations_of(template.id) if template else {}
    form = template_form_class(languages)(
        obj=template, data={f"body_{code}": body for code, body in saved.items()} if template else None
    )
    fields = _preview_fields()
    if form.validate_on_submit():
        texts = {"body": form.body} | {code: form[f"body_{code}"] for code in languages}
        for text in texts.values():
            if text.data and text.data.strip():
                try:
                    templating.check(text.data, fields)
                except templating.TemplateCheckError as problem:
                    text.errors.append(_("This template cannot be used: %(problem)s", problem=str(problem)))
        if not form.errors:
            if template is None:
                template = DocumentTemplate(name="", body="")
                db.session.add(template)
                db.session.flush()
            template.name = form.name.data.strip()
            template.body = form.body.data
            template.updated_at = utcnow()
            template_texts.replace_translations(
                template, {code: form[f"body_{code}"].data or "" for code in languages}
            )
            db.session.commit()
            flash(_("Template saved."), "success")
            return redirect(url_for("documents_staff.template_edit", template_id=template.id))
    previews = _previews(template, saved) if template is not None and request.method == "GET" else {}
    return render_template(
        "documents/template_edit.html",
        form=form,
        template=template,
        previews=previews,
        fields=fields,
        languages=languages,
        directions={code: template_texts.direction_of(code) for code in languages},
    )


def _previews(template: DocumentTemplate, saved: dict[str, str]) -> dict:
    """Each saved text as its PDF shows it, filled with the admin's own details as a reader of that
    text's language gets them (its dates, digits and labels); a broken one says why."""
    bodies = {"": template.body} | saved
    default_language = current_app.config["PORTAL_DEFAULT_LANGUAGE"]
    previews = {}
    for code, body in bodies.items():
        try:
            language = code or default_language
            fields = templating.available_tokens(current_user, language)
            previews[code] = templating.preview(body, fields, language)
        except templating.TemplateCheckError as problem:
            previews[code] = _("This template cannot be used: %(problem)s", problem=str(problem))
    return previews
