"""Document templates: an administrator's HTML, filled per customer in a sandbox, made into a PDF.

The sandbox (Jinja's ImmutableSandboxedEnvironment, budgeted in render_budget.py) offers nothing but
the tokens from the core's ``customer_fields`` and a bounded ``range``: no other globals, no
attributes of Python objects, no changing anything, and no more loop steps, text or time than the
budget allows. A template is checked when it is saved (syntax, unknown tokens, the budget, whether it
fits on paper), and rendering errors reach the customer as a polite message, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import TemplateError, meta
from markupsafe import Markup

from portal.plugin import User, customer_fields

from .html_blocks import read_blocks
from .preview_writer import write_preview
from .render_budget import BudgetedSandbox
from .template_texts import direction_of

# Realistic values for the check, so a layout problem shows with text of a real customer's length;
# every other token a real render offers is checked with a stand-in (see ``sample_fields``).
SAMPLE = {
    "customer": {
        "name": "Sara Ahmadi",
        "email": "sara@example.com",
        "organization": "Parsian Trading",
        "member_since": "1 March 2024",
        "address": "Valiasr Street 1200, Unit 4, 1968917313 Tehran, Iran",
        "street": "Valiasr Street 1200, Unit 4",
        "postal_code": "1968917313",
        "city": "Tehran",
        "country": "Iran",
        "phone": "+98 21 2200 1234",
    }
}
STAND_IN = "x"


class TemplateCheckError(Exception):
    """A template that cannot be used; the message is for the administrator."""


def environment() -> BudgetedSandbox:
    """A fresh sandbox for one render: its budget is spent by that render alone."""
    return BudgetedSandbox()


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
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(available) - set(env.globals))
    if unknown:
        raise TemplateCheckError(
            _(
                "Unknown tokens: %(names)s. Available: %(offered)s.",
                names=", ".join(unknown),
                offered=", ".join(sorted(available)),
            )
        )
    try:
        html = render(body, sample_fields(available))
    except TemplateCheckError:
        raise
    except Exception as error:
        raise TemplateCheckError(str(error)) from error
    _pdf(html, "en", "check")  # lays it out too, so a page limit or a too-wide table shows up now


def sample_fields(available: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Exactly the tokens a real render offers (``available``), filled with sample values.

    The keys come from ``available``, which is ``customer_fields``, the very call a download makes
    (plugins' fields included), so every token the edit page lists passes the check and the sample
    cannot drift from a real render; ``SAMPLE`` only lends realistic values to the keys it knows.
    """
    return {
        group: {key: SAMPLE.get(group, {}).get(key, STAND_IN) for key in values}
        for group, values in available.items()
    }


def preview(body: str, fields: dict[str, dict[str, str]], language: str) -> Markup:
    """The template filled with ``fields`` as its PDF will show it, as HTML for the edit page.

    Written from the blocks the PDF is made of, so the administrator's page carries none of the
    template's own markup (a script, an image, an event attribute) and promises nothing the PDF lacks.
    Raises ``TemplateCheckError`` like ``render``.
    """
    return write_preview(read_blocks(str(render(body, fields)), language))


def render(body: str, fields: dict[str, dict[str, str]]) -> Markup:
    """The template filled with ``fields`` (each value escaped), within the render budget.

    Raises ``TemplateCheckError`` for any failure, a spent budget included, so a save is refused with
    the reason and a download answers with the apology page instead of holding a worker.
    """
    env = environment()
    try:
        html = "".join(_within_budget(env, env.from_string(body).generate(**fields)))
    except TemplateError as error:
        raise TemplateCheckError(str(error.message or error)) from error
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError, MemoryError) as error:
        raise TemplateCheckError(str(error) or type(error).__name__) from error
    return Markup(html)  # noqa: S704  (autoescaped by the sandbox)


def _within_budget(env: BudgetedSandbox, pieces: Iterator[str]) -> Iterator[str]:
    """The output as it is made, stopped once it is longer than a template may make."""
    written = 0
    for piece in pieces:
        written += len(piece)
        env.budget.size(written)
        yield piece


def available_tokens(user: User, language: str | None = None) -> dict[str, dict[str, str]]:
    """``user``'s tokens written for a reader of ``language`` (``user``'s own by default).

    The one way tokens are filled, for a customer's PDF and for the administrator's preview of each
    language's text alike, so the preview prints dates as the PDF does.
    """
    return customer_fields(user, language)


def render_for(body: str, user: User) -> Markup:
    with force_locale(user.language or "en"):
        return render(body, available_tokens(user))


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
            read_blocks(str(html), language), title=title, language=language, direction=direction, fonts=fonts
        )
    except LayoutError as error:
        raise TemplateCheckError(str(error)) from error
    except FPDFException as error:
        raise TemplateCheckError(_("The PDF cannot be laid out: %(problem)s", problem=str(error))) from error
