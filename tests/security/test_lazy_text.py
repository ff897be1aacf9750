"""A lazy translation is text, not HTML: the values put into it are escaped wherever it is shown.

Flask-Babel's lazy strings declare themselves safe HTML (``__html__``), so a value a person typed
(an organization's name in a segment label, an address in a form message) would reach the page as
markup through a template, ``Markup`` or a WTForms message. The portal makes them escape, for its
own code and for every plugin's.
"""

from __future__ import annotations

from flask import jsonify, render_template_string
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from portal.organizations.membership import create_organization
from portal.plugin import all_segments, db

TYPED = '<img src=x onerror="alert(1)">'


def test_a_lazy_translation_with_a_typed_value_is_escaped_in_a_template(app):
    with app.test_request_context():
        label = _l("Organization: %(name)s", name=TYPED)
        page = render_template_string("<p>{{ label }}</p>", label=label)
    assert "<img" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_a_lazy_translation_is_escaped_when_markup_is_built_from_it(app):
    with app.test_request_context():
        message = _l("%(email)s is in copy already.", email=TYPED)
        assert str(escape(message)) == str(escape(str(message)))
        assert "<img" not in Markup("<li>%s</li>") % message


def test_an_organization_named_with_markup_reads_as_text_in_its_segment(app):
    with app.test_request_context():
        create_organization(TYPED, kind="company", actor_id=None)
        db.session.commit()
        labels = [segment.label for segment in all_segments() if segment.key.startswith("organization:")]
        page = render_template_string(
            "<select>{% for label in labels %}<option>{{ label }}</option>{% endfor %}</select>",
            labels=labels,
        )
    assert "<img" not in page and "&lt;img" in page


def test_in_json_a_lazy_translation_stays_the_plain_text(app):
    with app.test_request_context():
        body = jsonify(label=_l("Points & rewards for %(name)s", name="Sara <3")).get_json()
    assert body == {"label": "Points & rewards for Sara <3"}
