"""``LongSelect``: the staff's long lists of agents, written faster, to the very HTML WTForms writes."""

from __future__ import annotations

from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select

from portal.plugin import LongSelect

HOSTILE = '<script>alert("x")</script> & "Bob" \u2068O\'Neil\u2069'


class Both(Form):
    plain = SelectField("Assignee", widget=Select())
    long = SelectField("Assignee", widget=LongSelect())


def _as_long(html: str) -> str:
    return str(html).replace('id="plain"', 'id="long"').replace('name="plain"', 'name="long"')


def _form(choices: list[SelectChoice], chosen: str) -> Both:
    form = Both(data={"plain": chosen, "long": chosen})
    form.plain.choices = choices
    form.long.choices = choices
    return form


def test_the_long_select_writes_what_wtforms_writes_hostile_names_escaped():
    choices = [
        SelectChoice("", "Keep"),
        SelectChoice("none", "Nobody"),
        *(SelectChoice(str(number), f"Agent {number} {HOSTILE}") for number in range(1, 201)),
        SelectChoice("with-attributes", "Marked", render_kw={"data-role": "lead"}),
    ]
    form = _form(choices, "17")
    written = form.long()
    assert written == _as_long(form.plain())
    assert '<option selected value="17">Agent 17 &lt;script&gt;' in written
    assert "<script>" not in written and "&#34;Bob&#34;" in written
    assert written.count("<option") == 203
    assert '<option data-role="lead" value="with-attributes">Marked</option>' in written


def test_the_empty_choice_is_selected_as_wtforms_selects_it():
    form = _form([SelectChoice("", "Keep"), SelectChoice("3", "Agent 3")], "")
    assert form.long() == _as_long(form.plain())
    assert '<option selected value="">Keep</option>' in form.long()
