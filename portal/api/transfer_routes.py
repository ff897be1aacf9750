"""Staff API routes that import and export CSV: ``POST /imports/<kind>`` and ``GET /exports/<kind>``.

They run the same ``run_import`` and ``run_export`` as ``portal import`` and ``portal export``, for
the core's customers and every enabled plugin's kinds. The scope is the kind's own area
(``customers:write`` to import customers, ``loyalty:read`` to export purchases), decided from the
path before anything is read; a kind nobody offers, or whose plugin is off, is a 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import marshmallow as ma
from flask import Response, request, stream_with_context

from portal.access import AGENT
from portal.api.access import PathScope, api_access, current_api_user
from portal.api.blueprint import ApiBlueprint
from portal.api.problems import api_abort
from portal.api.schemas import UtcDateTime
from portal.transfers.exporting import run_export
from portal.transfers.importing import ImportReport, run_import
from portal.transfers.reading import MAX_BYTES, MAX_ROWS, ImportFileError, ImportTooLargeError
from portal.transfers.registry import NAME_MAX, find_export_kind, find_import_kind

transfers_api = ApiBlueprint(
    "api_transfers",
    __name__,
    description="CSV imports and exports: customer accounts, and the kinds enabled plugins add.",
)

CSV = "text/csv"
MULTIPART = "multipart/form-data"
FILE_FIELD = "file"
KIND_PARAMETER = {
    "in": "path",
    "name": "kind",
    "description": "customers, or an enabled plugin's kind such as loyalty.purchases (docs/api.md).",
    "schema": {"type": "string", "maxLength": NAME_MAX},
}
CSV_BODY = {
    "required": True,
    "description": (
        f"UTF-8 CSV (a byte-order mark allowed), its first line naming the columns; at most {MAX_ROWS} "
        f"rows and {MAX_BYTES >> 20} MB."
    ),
    "content": {
        CSV: {"schema": {"type": "string"}},
        MULTIPART: {
            "schema": {
                "type": "object",
                "properties": {FILE_FIELD: {"type": "string", "format": "binary"}},
                "required": [FILE_FIELD],
                "additionalProperties": False,
            }
        },
    },
}
CSV_ANSWER = {
    "description": "The rows as CSV, header first, oldest first; no cell can run as a spreadsheet formula.",
    "content": {CSV: {"schema": {"type": "string"}}},
}
TOO_LARGE = f"Send at most {MAX_BYTES >> 20} MB; split the file."


class ImportArguments(ma.Schema):
    dry_run = ma.fields.Boolean(
        load_default=False, metadata={"description": "Check every row and change nothing (answers 200)."}
    )


class ExportArguments(ma.Schema):
    since = UtcDateTime(
        load_default=None,
        metadata={
            "description": "Only rows made at or after this moment (ISO 8601), for an incremental sync."
        },
    )


class ImportReportSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    dry_run = ma.fields.Boolean(required=True)
    rows = ma.fields.Integer(required=True, metadata={"description": "Rows read, blank lines left out."})
    created = ma.fields.Integer(
        required=True, metadata={"description": "Rows that added something; 0 on a dry run."}
    )
    unchanged = ma.fields.Integer(
        required=True,
        metadata={"description": "Rows imported before, which changed nothing; 0 on a dry run."},
    )


def _kind_scope(access: str) -> PathScope:
    """The scope of the kind the path names, in its own area: ``<area>:write`` or ``<area>:read``."""

    def scope(view_args: Mapping[str, Any]) -> str | None:
        name = str(view_args.get("kind", ""))
        kind = find_import_kind(name) if access == "write" else find_export_kind(name)
        return f"{kind.area}:{access}" if kind is not None else None

    return PathScope(scope, f"<the kind's area>:{access}, such as customers:{access}")


@transfers_api.route("/imports/<kind>", methods=["POST"], parameters=[KIND_PARAMETER])
@transfers_api.arguments(ImportArguments, location="query")
@transfers_api.response(201, ImportReportSchema)
@transfers_api.alt_response(200, schema=ImportReportSchema, description="A dry run: every row is fine.")
@transfers_api.doc(requestBody=CSV_BODY)
@api_access(AGENT, _kind_scope("write"))
def import_rows(arguments: dict[str, Any], kind: str) -> Any:
    """Import a CSV file: every row checked first, then all applied at once, or none (docs/api.md).

    Bad rows are a 422 whose ``errors.lines`` lists each with its ``line`` and ``message``, and then
    nothing is changed. A file sent again changes nothing: rows imported before count as unchanged.
    """
    found = find_import_kind(kind)
    if found is None:
        api_abort(404)
    data = _csv_body()
    try:
        report = run_import(found, data, actor=current_api_user(), dry_run=arguments["dry_run"])
    except ImportTooLargeError as error:
        api_abort(413, str(error))
    except ImportFileError as error:
        lines = [{"line": error.line, "message": str(error)}] if error.line is not None else []
        api_abort(422, str(error), errors={"lines": lines} if lines else None)
    if report.problems:
        _refuse_rows(report)
    return report, 200 if report.dry_run else 201


@transfers_api.route("/exports/<kind>", parameters=[KIND_PARAMETER])
@transfers_api.arguments(ExportArguments, location="query")
@transfers_api.doc(responses={"200": CSV_ANSWER})
@api_access(AGENT, _kind_scope("read"))
def export_rows(arguments: dict[str, Any], kind: str) -> Response:
    """Every row of the kind as CSV, streamed; ``since`` keeps those made since the last sync."""
    found = find_export_kind(kind)
    if found is None:
        api_abort(404)
    lines = run_export(found, actor=current_api_user(), since=arguments["since"])
    return Response(
        stream_with_context(lines),
        mimetype=CSV,
        headers={"Content-Disposition": f'attachment; filename="{found.name}.csv"'},
    )


def _csv_body() -> bytes:
    """The file: the body itself as text/csv, or the part ``file`` of a multipart/form-data body."""
    if request.mimetype == CSV:
        if (request.content_length or 0) > MAX_BYTES:
            api_abort(413, TOO_LARGE)
        return request.stream.read(MAX_BYTES + 1)
    if request.mimetype == MULTIPART:
        upload = request.files.get(FILE_FIELD)
        errors = {
            name: ["Unknown field."] for name in (set(request.form) | set(request.files)) - {FILE_FIELD}
        }
        if upload is None:
            errors[FILE_FIELD] = ["Send the CSV file as this part."]
        if errors or upload is None:
            api_abort(422, errors={"form": errors})
        return upload.stream.read(MAX_BYTES + 1)
    api_abort(
        415,
        f"Send the CSV as the body with Content-Type {CSV}, or as the part '{FILE_FIELD}' of {MULTIPART}.",
    )


def _refuse_rows(report: ImportReport) -> NoReturn:
    api_abort(
        422,
        f"{len(report.problems)} rows cannot be imported, so nothing was; 'errors.lines' says why for each.",
        errors={"lines": [{"line": problem.line, "message": problem.message} for problem in report.problems]},
    )
