"""The tickets plugin's pages: its two blueprints, with the routes of both view modules on them.

``blueprint`` makes the blueprints; ``customer_views`` and ``staff_views`` add their routes when
imported. Importing this module gives the blueprints complete, as ``portal_blueprints`` hands them out.
"""

from __future__ import annotations

from . import (  # noqa: F401  (imported for the routes they add)
    apology_views,
    customer_views,
    rating_views,
    staff_macro_views,
    staff_merge_views,
    staff_new_views,
    staff_views,
)
from .blueprint import bp, staff_bp

__all__ = ["bp", "staff_bp"]
