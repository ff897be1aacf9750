"""The surveys plugin's pages: its two blueprints, with the routes of both view modules on them.

``blueprint`` makes the blueprints; ``customer_views`` and ``staff_views`` add their routes when
imported. Importing this module gives the blueprints complete, as ``portal_blueprints`` hands them out.
"""

from __future__ import annotations

from . import apology_views, customer_views, staff_views  # noqa: F401  (imported for the routes they add)
from .blueprint import bp, staff_bp

__all__ = ["bp", "staff_bp"]
