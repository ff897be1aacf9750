"""The tickets plugin's forms; every one carries the CSRF token and limits what it accepts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import Choice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from portal.plugin import ID_MAX, LocalizedIntegerField, LongSelect, translatable_form

from . import attachments
from .labels import category_label, priority_choices, status_choices
from .mentions import handle_of
from .models import BODY_MAX, CANNED_TITLE_MAX, COMMENT_MAX, SUBJECT_MAX, TOKEN_MAX
from .settings import categories
from .watchers import EMAIL_MAX, WATCHERS_MAX

if TYPE_CHECKING:
    from sqlalchemy import Row
    from werkzeug.datastructures import FileStorage

# Room to write a few sentences without scrolling; the stylesheet gives the same height as a minimum.
WRITING_ROWS = {"rows": 6}


def new_form_token() -> str:
    """A one-time key for one copy of a form: that copy sent twice (double click, retry) acts once."""
    return uuid.uuid4().hex


def file_errors(form: NewTicketForm | ReplyForm, files: list[FileStorage]) -> bool:
    """Put what is wrong with the files themselves (how many, what type) on the form; True if anything.

    Whether they fit in the customer's attachment space is asked later, while their allowance is held
    (``sending``).
    """
    problems = attachments.check(files)
    if problems:
        form.files.errors = problems
    return bool(problems)


def _agent_choices(agents: Sequence[Row[tuple[int, str, str]]]) -> list[SelectChoice]:
    """Each colleague by name, with the handle that mentions them in a note: "Ava Agent (@ava)".

    Both are isolated: the name is theirs, and the handle is typed as it is, in Latin letters and digits,
    whatever the reader's language."""
    return [
        SelectChoice(str(agent_id), f"\u2068{name}\u2069 (\u2068@{handle_of(email)}\u2069)")
        for agent_id, name, email in agents  # unpacked: a Row's attributes cost 0.4 µs each
    ]


def assignee_filter_options(agents: Sequence[Row[tuple[int, str, str]]], chosen: str) -> Markup:
    """The staff queue's filter by assignee, one ``<option>`` per agent, ``chosen`` (as typed) selected.

    Written here with ``LongSelect``'s options rather than by a template loop: at 200 agents the loop
    cost about 0.6 ms of every view of the queue.
    """
    return Markup("").join(
        LongSelect.render_option(Choice(str(agent_id), name, str(agent_id) == chosen, {}))
        for agent_id, name, _email in agents
    )


# What a plugin's suggestions put in the new-ticket form's ``suggestions_seen`` field (docs/plugins.md).
SUGGESTIONS_SEEN = "yes"


class NewTicketForm(FlaskForm):
    """A new ticket with its first message and files; categories and priorities as they are now."""

    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(_l("Please give your ticket a subject.")), Length(max=SUBJECT_MAX)],
    )
    category = SelectField(_l("Category"))
    priority = SelectField(_l("Priority"), default="normal")
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(_l("Please write a message.")), Length(max=BODY_MAX)],
        description=_l("You can use Markdown."),
        render_kw=WRITING_ROWS,
    )
    files = MultipleFileField(_l("Attachments (up to 5)"))
    # One-time key of this copy of the form: sent twice (double click, retry), it opens one ticket.
    token = HiddenField(validators=[Optional(), Length(max=TOKEN_MAX)])
    # SUGGESTIONS_SEEN once the customer was shown articles that may answer them (by a plugin in the
    # slot beside the subject, or by the "Check these first" step): sending then opens the ticket.
    suggestions_seen = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The administrator's categories as they are now, so a category removed since is refused.
        self.category.choices = [SelectChoice(value, category_label(value)) for value in categories()]
        self.priority.choices = [SelectChoice(value, label) for value, label in priority_choices()]


class ReplyForm(FlaskForm):
    """A customer's reply on their ticket, with files."""

    body = TextAreaField(
        _l("Your reply"),
        validators=[DataRequired(_l("Please write a message.")), Length(max=BODY_MAX)],
        render_kw=WRITING_ROWS,
    )
    token = HiddenField(validators=[Optional(), Length(max=TOKEN_MAX)])
    files = MultipleFileField(_l("Attachments (up to 5)"))


class StaffReplyForm(ReplyForm):
    """A staff reply, which may instead be an internal note the customer never sees."""

    internal = BooleanField(_l("Internal note (never shown to the customer)"))


class ApologyForm(FlaskForm):
    """The apology for a resolved complaint: the message the agent edits from the starting text."""

    body = TextAreaField(
        _l("Message to the customer"),
        validators=[DataRequired(_l("Please write a message.")), Length(max=BODY_MAX)],
        render_kw=WRITING_ROWS,
    )


class RateForm(FlaskForm):
    """The one question a resolved ticket asks; nothing is chosen for the customer."""

    rating = RadioField(
        _l("Your answer, from 1 to 5"),
        choices=[SelectChoice(rating, str(rating)) for rating in range(1, 6)],
        coerce=int,
        invalid_choice_message=_l("Please choose a number from 1 (not at all) to 5 (completely)."),
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=COMMENT_MAX)])


class StatusForm(FlaskForm):
    """A ticket's new status, chosen by staff."""

    status = SelectField(_l("Status"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(value, label) for value, label in status_choices()]


class AssignForm(FlaskForm):
    """Who a ticket is assigned to; build it with ``for_agents`` so it offers the staff."""

    assignee = SelectField(_l("Assignee"), widget=LongSelect())

    @classmethod
    def for_agents(cls, agents: Sequence[Row[tuple[int, str, str]]], **kwargs: Any) -> AssignForm:
        """The form offering these staff members, after "Nobody" (an empty value unassigns)."""
        form = cls(**kwargs)
        form.assignee.choices = [SelectChoice("", _("Nobody")), *_agent_choices(agents)]
        return form


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token is all it carries."""


class BulkForm(FlaskForm):
    """Several tickets at once: a new status, a new assignee, or both."""

    status = SelectField(_l("Set status"), validators=[Optional()])
    assignee = SelectField(_l("Assign to"), validators=[Optional()], widget=LongSelect())

    @classmethod
    def for_agents(cls, agents: Sequence[Row[tuple[int, str, str]]], **kwargs: Any) -> BulkForm:
        """The form offering every status and these staff members, each after "Keep" (no change)."""
        form = cls(**kwargs)
        keep = SelectChoice("", _("Keep"))
        form.status.choices = [keep, *(SelectChoice(value, label) for value, label in status_choices())]
        form.assignee.choices = [keep, SelectChoice("none", _("Nobody")), *_agent_choices(agents)]
        return form


class CannedReplyForm(FlaskForm):
    """A new canned reply: its title in the list and its text."""

    texts_as_typed = ("body",)  # saved as typed, like a message; its translations too

    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please give it a title.")), Length(max=CANNED_TITLE_MAX)]
    )
    body = TextAreaField(
        _l("Reply text"),
        validators=[DataRequired(_l("Please write a message.")), Length(max=BODY_MAX)],
        render_kw=WRITING_ROWS,
    )


CANNED_TEXTS = ("title", "body")


class MacroForm(CannedReplyForm):
    """A canned reply that may also set the ticket's status, priority and category when it is sent."""

    set_status = SelectField(_l("Also set the status"), validators=[Optional()])
    set_priority = SelectField(_l("Also set the priority"), validators=[Optional()])
    set_category = SelectField(_l("Also set the category"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = SelectChoice("", _("Leave as it is"))
        statuses = [SelectChoice(value, label) for value, label in status_choices()]
        priorities = [SelectChoice(value, label) for value, label in priority_choices()]
        offered = [SelectChoice(value, category_label(value)) for value in categories()]
        self.set_status.choices = [keep, *statuses]
        self.set_priority.choices = [keep, *priorities]
        self.set_category.choices = [keep, *offered]


def canned_reply_form() -> type[MacroForm]:
    """The canned reply form with its title and text in each further language: a customer is answered
    in their own language when the agent inserts it. It may also act as a macro (``MacroForm``)."""
    return translatable_form(MacroForm, CANNED_TEXTS)


def _stripped(value: str | None) -> str | None:
    """What was typed without the spaces a paste brings along."""
    return value.strip() if isinstance(value, str) else value


class WatcherForm(FlaskForm):
    """An address to put in copy on a ticket."""

    email = StringField(
        _l("Colleague's email address"),
        validators=[
            DataRequired(_l("Enter your colleague's email address.")),
            Length(max=EMAIL_MAX, message=_l("An email address has at most %(max)d characters.")),
            Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False),
        ],
        description=_l(
            "Up to %(count)d people. They read and answer the ticket and get its mails; closing, "
            "reopening and rating stay with the customer.",
            count=WATCHERS_MAX,
        ),
        filters=[_stripped],
        render_kw={"maxlength": EMAIL_MAX, "autocomplete": "email", "type": "email"},
    )


CHOOSE_CUSTOMER = _l("Search for the customer and choose them from the list.")


class StaffNewTicketForm(NewTicketForm):
    """A ticket staff open for a customer who phoned or came by: whose it is, how they asked, and what."""

    files = None  # staff add files with a reply once the ticket exists
    customer = IntegerField(
        _l("Customer"),
        validators=[
            InputRequired(CHOOSE_CUSTOMER),
            NumberRange(min=1, max=ID_MAX, message=CHOOSE_CUSTOMER),
        ],
    )
    channel = SelectField(
        _l("How they asked"),
        default="phone",
        choices=[SelectChoice("phone", _l("By phone")), SelectChoice("counter", _l("At the counter"))],
    )
    body = TextAreaField(
        _l("What the customer asked"),
        validators=[DataRequired(_l("Please write what the customer asked.")), Length(max=BODY_MAX)],
        description=_l("In their words, as they told you. It is shown as written by you for them."),
        render_kw=WRITING_ROWS,
    )


class CannedChoiceForm(FlaskForm):
    """The canned reply an agent adds to the draft they are writing."""

    canned = IntegerField(
        _l("Insert a canned reply"),
        validators=[InputRequired(_l("Choose a canned reply.")), NumberRange(min=1, max=ID_MAX)],
    )


class MergeForm(FlaskForm):
    """The ticket a duplicate is merged into, typed by its number (in any digits)."""

    target = LocalizedIntegerField(
        _l("Merge into ticket #"),
        validators=[
            InputRequired(_l("Type the number of the ticket to merge this one into.")),
            NumberRange(min=1, max=ID_MAX, message=_l("Type the number of an existing ticket.")),
        ],
    )
