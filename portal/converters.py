"""The ``int`` URL converter, bounded to the ids the database can hold.

Werkzeug's own ``int`` matches any run of digits, so ``/surveys/99999999999999999999999/`` reached
the view and the database refused the number: a 500 on SQLite past 2**63 and on PostgreSQL already
past 2**31. Every id column is a 32-bit INTEGER, so a number outside 1..2147483647 cannot name a row:
the URL does not match and the visitor gets the ordinary "page not found".
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# The largest value of an SQL INTEGER (32-bit signed), the type of every id column.
ID_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:name>`` matching 1..2147483647 unless the rule says otherwise.

    Explicit arguments still work as in werkzeug: ``<int(min=0):step>`` or ``<int(max=99):n>``
    replace that bound only; ``<int(signed=True):n>`` reaches down to the INTEGER's least value.
    """

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = ID_MAX,
        signed: bool = False,
    ) -> None:
        if min is None:
            min = -ID_MAX - 1 if signed else 1
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install_id_converter(app: Flask) -> None:
    """Make ``int`` the bounded converter; call it before any blueprint is registered.

    Werkzeug builds a rule's converter when the rule is added to the map, so rules added before this
    call would keep the unbounded one.
    """
    app.url_map.converters["int"] = IdConverter
