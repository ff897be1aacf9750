"""The form behind a button that changes something: nothing to fill in, only the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ButtonForm(FlaskForm):
    """A form with only the CSRF token, for a button that POSTs ("Cancel", "Take it").

    Every request that changes state must prove it came from the portal's own page; a button has no
    fields, but ``ButtonForm().validate_on_submit()`` still checks the token, and
    ``{{ form.hidden_tag() }}`` in the template writes it.
    """
