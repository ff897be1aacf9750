"""Document templates: an administrator's HTML, filled per customer in a sandbox, made into a PDF.

The sandbox (Jinja's ImmutableSandboxedEnvironment) offers nothing but the tokens from the core's
``customer_fields``: no globals, no attributes of Python objects, no changing anything. A template is
checked when it is saved (syntax, unknown tokens, whether it fits on paper), and rendering errors
reach the customer as a polite message, never a 500.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from portal.plugin import User, customer_fields

from .html_blocks import read_blocks
from .template_texts import direction_of

SAMPLE = {
    "customer": {
        "name": "Sara Ahmadi",
        "email": "sara@example.com",
        "organization": "Parsian Trading",
        "member_since": "1 March 2024",
    }
}


class TemplateCheckError(Exception):
    """A template that cannot be used; the message is for the administrator."""


MAX_OUTPUT = 1_000_000  # characters of HTML a template may produce
MAX_REPEAT = 10_000


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing the arithmetic that would make a huge string or number."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator, left, right):  # type: ignore[no-untyped-def]
        if operator == "**" and (not isinstance(right, int) or abs(right) > 64):
            raise SecurityError("Powers above 64 are not allowed in templates.")
        if operator == "*" and any(isinstance(side, (str, list, tuple)) for side in (left, right)):
            count = right if isinstance(right, int) else left
            if not isinstance(count, int) or count > MAX_REPEAT:
                raise SecurityError("Repeating text that many times is not allowed in templates.")
        return super().call_binop(context, operator, left, right)


def environment() -> ImmutableSandboxedEnvironment:
    env = _Sandbox(autoescape=True, undefined=StrictUndefined)
    env.globals.clear()
    return env


def check(body: str, available: dict[str, dict[str, str]]) -> None:
    """Raise ``TemplateCheckError`` for a syntax error or a token nobody offers; nothing for a good one."""
    env = environment()
    try:
        parsed = env.parse(body)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        raise TemplateCheckError(
            _("Line %(line)s: %(message)s", line=line, message=error.message)
            if line
            else str(error.message or error)
        ) from error
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(available))
    if unknown:
        raise TemplateCheckError(
            _(
                "Unknown tokens: %(names)s. Available: %(offered)s.",
                names=", ".join(unknown),
                offered=", ".join(sorted(available)),
            )
        )
    try:
        html = render(
            body, {group: dict.fromkeys(values, "x") for group, values in available.items()} | SAMPLE
        )
    except TemplateCheckError:
        raise
    except Exception as error:
        raise TemplateCheckError(str(error)) from error
    _pdf(html, "en", "check")  # lays it out too, so a page limit or a too-wide table shows up now


def render(body: str, fields: dict[str, dict[str, str]]) -> Markup:
    """The template filled with ``fields`` (each value escaped); raises ``TemplateCheckError`` on failure."""
    try:
        html = environment().from_string(body).render(**fields)
    except TemplateError as error:
        raise TemplateCheckError(str(error.message or error)) from error
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as error:
        raise TemplateCheckError(str(error)) from error
    if len(html) > MAX_OUTPUT:
        raise TemplateCheckError("The template produces more than 1,000,000 characters.")
    return Markup(html)  # noqa: S704  (autoescaped by the sandbox)


def available_tokens(user: User) -> dict[str, dict[str, str]]:
    return customer_fields(user)


def render_for(body: str, user: User) -> Markup:
    with force_locale(user.language or "en"):
        return render(body, customer_fields(user))


def _font() -> tuple[Path, Path] | None:
    """Vazirmatn, installed from npm into static/vendor/fonts by make: Latin and Persian glyphs."""
    folder = Path(current_app.static_folder or "") / "vendor" / "fonts"
    regular, bold = folder / "Vazirmatn-Regular.ttf", folder / "Vazirmatn-Bold.ttf"
    if not regular.exists():
        return None
    return regular, bold if bold.exists() else regular


def pdf_for(body: str, user: User, title: str) -> bytes:
    """A PDF of the template filled for ``user``, in their language, right-to-left where it runs so."""
    return _pdf(render_for(body, user), user.language or "en", title)


def _pdf(html: Markup, language: str, title: str) -> bytes:
    # Imported here: fpdf2 takes about half a second to import and only template downloads need it.
    from fpdf.errors import FPDFException

    from .pdf_writer import LayoutError, write_pdf

    fonts = _font()
    if fonts is None:
        raise TemplateCheckError("No font for PDF output is installed (run make to fetch Vazirmatn).")
    try:
        direction = direction_of(language)
        return write_pdf(
            read_blocks(str(html)), title=title, language=language, direction=direction, fonts=fonts
        )
    except LayoutError as error:
        raise TemplateCheckError(str(error)) from error
    except FPDFException as error:
        raise TemplateCheckError(_("The PDF cannot be laid out: %(problem)s", problem=str(error))) from error
