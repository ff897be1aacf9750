"""Browser journeys run on one database: PostgreSQL where the suite has it, as production does.

What a journey checks is what the browser shows and does; the database under the pages is covered on
both backends by the rest of the suite, request by request. Running every journey twice doubled the
slowest part of the suite and found nothing the non-browser tests did not.
"""

from __future__ import annotations

import pytest

from portal.testing.fixtures import BACKENDS


@pytest.fixture(params=BACKENDS[-1:])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param
