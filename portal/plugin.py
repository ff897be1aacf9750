"""What plugin authors import: the hook marker, the data types and the helpers of the contract.

This module is the stable surface of the core; anything not re-exported here may change.
"""

from __future__ import annotations

import pluggy
from flask import render_template
from markupsafe import Markup

from portal.access import admin, agent, customer, public
from portal.accounts.models import User
from portal.api.access import api_access, current_api_user, withhold_from_audit
from portal.api.blueprint import ApiBlueprint, UploadedFile
from portal.api.problems import api_abort
from portal.api.schemas import (
    IDEMPOTENCY_PARAMETER,
    LocalizedText,
    PageArguments,
    SyncArguments,
    Text,
    UtcDateTime,
    api_page,
    idempotency_key,
    page_of,
)
from portal.approvals.kinds import ApprovalKind, ApprovalRefusedError
from portal.approvals.requests import request_approval
from portal.audit import record_audit_event
from portal.babel_state import current_translations
from portal.bidi import isolated_text
from portal.buttons import ButtonForm
from portal.clean_input import stripped
from portal.content_languages import (
    edit_translations,
    in_each_language,
    localized,
    localized_setting,
    localized_with_language,
    missing_languages,
    set_translations,
    store_translations,
    text_direction,
    translatable_form,
    translated_settings,
    translation_data,
    translations_column,
)
from portal.contributions import Figure, MailHandler, NavItem, NotificationType, Panel, Widget
from portal.converters import ID_MAX
from portal.customer_fields import customer_fields
from portal.database import Model, db, made_by_migration, rows_matched, utcnow
from portal.date_inputs import (
    CalendarDateField,
    CalendarDateTimeField,
    DateInputError,
    date_input_text,
    parse_calendar_date,
)
from portal.dates import (
    force_calendar,
    force_zone,
    format_date,
    format_datetime,
    format_time,
    from_user_zone,
    month_start,
    reader_language,
    reader_zone,
    to_user_zone,
    user_now,
    zone_label,
)
from portal.event_types import DomainEvent, EventContractError, declared_events, event_label
from portal.events import Event, StoredEvent, emit
from portal.figures import PeriodTotals, daily_totals, period_totals, weekly_totals
from portal.file_size import format_file_size
from portal.htmx import is_htmx_request
from portal.i18n import gettext_or_source
from portal.jobs import enqueue, task
from portal.long_select import LongSelect
from portal.mail import MailAttachment, send_mail
from portal.mail_in.addresses import reply_address
from portal.mail_in.inbound import InboundAttachment, InboundMail, MailRefused
from portal.markdown import render_document_markdown, render_markdown
from portal.notifications.service import NotificationError, notify
from portal.number_fields import LocalizedIntegerField
from portal.numbers import ascii_digits, format_number, format_percent_value, parse_integer
from portal.organizations.scope import Scope, scope_for
from portal.page_assets import (
    CUSTOMER_360_PAGE,
    DASHBOARD_PAGE,
    STAFF_HOME_PAGE,
    PageAssets,
    is_plugin_page,
    plugin_stylesheet,
)
from portal.paging import Page, keyset_page, page_link_id, read_cursor
from portal.plugin_info import PluginInfo
from portal.schedule import ScheduledTask
from portal.seed import SeedRun
from portal.segments import (
    Segment,
    all_segments,
    audience_condition,
    in_segment,
    segment_by_key,
    segment_member_ids,
)
from portal.sentences import sentence
from portal.settings import Setting, SettingValueError, get_setting, set_setting
from portal.slot_drafts import keep_slot_draft, staff_slot_customer, take_slot_draft
from portal.spreadsheets import csv_lines, spreadsheet_safe
from portal.staff.customers import find_customers
from portal.storage import (
    FileTooLargeError,
    MissingFileError,
    StorageError,
    StoredFile,
    clean_download_name,
    delete_after_commit,
    detect_type,
    discard_unless_committed,
    generated_download,
    storage,
)
from portal.template_slots import render_slot
from portal.tokens import ExpiredTokenError, InvalidTokenError, make_token, read_token
from portal.transfers.kinds import ExportKind, ImportContext, ImportKind, ImportRowError
from portal.urls import external_url, local_path

hookimpl = pluggy.HookimplMarker("portal")


def render_widget(template: str, title: str, **context: object) -> str:
    """Render a dashboard widget: the fragment for htmx, the fragment inside the layout otherwise."""
    fragment = Markup(render_template(template, **context))  # noqa: S704  (autoescaped template output)
    if is_htmx_request():
        return fragment
    return render_template("dashboard/widget_page.html", title=title, fragment=fragment)


__all__ = [
    "CUSTOMER_360_PAGE",
    "DASHBOARD_PAGE",
    "IDEMPOTENCY_PARAMETER",
    "ID_MAX",
    "STAFF_HOME_PAGE",
    "ApiBlueprint",
    "ApprovalKind",
    "ApprovalRefusedError",
    "ButtonForm",
    "CalendarDateField",
    "CalendarDateTimeField",
    "DateInputError",
    "DomainEvent",
    "Event",
    "EventContractError",
    "ExpiredTokenError",
    "ExportKind",
    "Figure",
    "FileTooLargeError",
    "ImportContext",
    "ImportKind",
    "ImportRowError",
    "InboundAttachment",
    "InboundMail",
    "InvalidTokenError",
    "LocalizedIntegerField",
    "LocalizedText",
    "LongSelect",
    "MailAttachment",
    "MailHandler",
    "MailRefused",
    "MissingFileError",
    "Model",
    "NavItem",
    "NotificationError",
    "NotificationType",
    "Page",
    "PageArguments",
    "PageAssets",
    "Panel",
    "PeriodTotals",
    "PluginInfo",
    "ScheduledTask",
    "Scope",
    "SeedRun",
    "Segment",
    "Setting",
    "SettingValueError",
    "StorageError",
    "StoredEvent",
    "StoredFile",
    "SyncArguments",
    "Text",
    "UploadedFile",
    "User",
    "UtcDateTime",
    "Widget",
    "admin",
    "agent",
    "all_segments",
    "api_abort",
    "api_access",
    "api_page",
    "ascii_digits",
    "audience_condition",
    "clean_download_name",
    "csv_lines",
    "current_api_user",
    "current_translations",
    "customer",
    "customer_fields",
    "daily_totals",
    "date_input_text",
    "db",
    "declared_events",
    "delete_after_commit",
    "detect_type",
    "discard_unless_committed",
    "edit_translations",
    "emit",
    "enqueue",
    "event_label",
    "external_url",
    "find_customers",
    "force_calendar",
    "force_zone",
    "format_date",
    "format_datetime",
    "format_file_size",
    "format_number",
    "format_percent_value",
    "format_time",
    "from_user_zone",
    "generated_download",
    "get_setting",
    "gettext_or_source",
    "hookimpl",
    "idempotency_key",
    "in_each_language",
    "in_segment",
    "is_htmx_request",
    "is_plugin_page",
    "isolated_text",
    "keep_slot_draft",
    "keyset_page",
    "local_path",
    "localized",
    "localized_setting",
    "localized_with_language",
    "made_by_migration",
    "make_token",
    "missing_languages",
    "month_start",
    "notify",
    "page_link_id",
    "page_of",
    "parse_calendar_date",
    "parse_integer",
    "period_totals",
    "plugin_stylesheet",
    "public",
    "read_cursor",
    "read_token",
    "reader_language",
    "reader_zone",
    "record_audit_event",
    "render_document_markdown",
    "render_markdown",
    "render_slot",
    "render_widget",
    "reply_address",
    "request_approval",
    "rows_matched",
    "scope_for",
    "segment_by_key",
    "segment_member_ids",
    "send_mail",
    "sentence",
    "set_setting",
    "set_translations",
    "spreadsheet_safe",
    "staff_slot_customer",
    "storage",
    "store_translations",
    "stripped",
    "take_slot_draft",
    "task",
    "text_direction",
    "to_user_zone",
    "translatable_form",
    "translated_settings",
    "translation_data",
    "translations_column",
    "user_now",
    "utcnow",
    "weekly_totals",
    "withhold_from_audit",
    "zone_label",
]
