"""The dashboard tile at /help/widget: the most-read articles the signed-in customer may read."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.plugin import customer, db, render_widget

from .access import visible_condition
from .blueprint import bp
from .models import Article

WIDGET_ARTICLES = 5


@bp.route("/widget")
@customer
def widget() -> str:
    """The five articles read most, through the same audience rule as every other list."""
    articles = db.session.scalars(
        select(Article)
        .where(visible_condition(current_user))
        .order_by(Article.views.desc(), Article.id.desc())
        .limit(WIDGET_ARTICLES)
    ).all()
    return render_widget("helpcenter/widget.html", title=_("Popular help articles"), articles=articles)
