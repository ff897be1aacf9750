"""Staff API routes for segments: the named groups of customers, and who is in each one now.

A mailing tool or a CRM reads a segment's members to aim its own campaign at the audience the portal
aims documents and surveys at. Members are given as account ids only: the accounts themselves are
read with the ``customers`` scope, so a token for segments alone learns no one's name or address.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from portal.access import AGENT
from portal.accounts.models import User
from portal.api.access import api_access
from portal.api.blueprint import ApiBlueprint
from portal.api.problems import api_abort
from portal.api.schemas import PageArguments, api_list_page, api_page, page_of
from portal.segments import Segment, all_segments, segment_by_key, segment_member_ids

segments_api = ApiBlueprint(
    "api_segments", __name__, url_prefix="/segments", description="Named groups of customers."
)


class SegmentSchema(ma.Schema):
    key = ma.fields.String(
        required=True,
        metadata={"description": "all-customers, organization:<id>, or <plugin>.<name> (loyalty.tier:gold)."},
    )
    label = ma.fields.String(required=True, metadata={"description": "Its name, in the reader's language."})


class SegmentMemberSchema(ma.Schema):
    customer_id = ma.fields.Integer(required=True)


SegmentPage = page_of(SegmentSchema, "SegmentPageSchema")
SegmentMemberPage = page_of(SegmentMemberSchema, "SegmentMemberPageSchema")


@segments_api.route("/")
@segments_api.etag
@segments_api.arguments(PageArguments, location="query")
@segments_api.response(200, SegmentPage)
@api_access(AGENT, "segments:read")
def segments(arguments: dict[str, Any]) -> Any:
    """Every segment on offer now, by key: the core's and those of the plugins switched on."""
    return api_list_page(all_segments(), _key, arguments)


@segments_api.route("/<key>/members")
@segments_api.etag
@segments_api.arguments(PageArguments, location="query")
@segments_api.response(200, SegmentMemberPage)
@api_access(AGENT, "segments:read")
def segment_members(arguments: dict[str, Any], key: str) -> Any:
    """The ids of the customers in the segment now, ascending; 404 for a key no segment has."""
    if segment_by_key(key) is None:
        api_abort(404, "No segment has this key; the list of segments gives the keys.")
    page = api_page(segment_member_ids(key), [User.id], arguments, values=lambda customer_id: [customer_id])
    page["items"] = [{"customer_id": customer_id} for customer_id in page["items"]]
    return page


def _key(segment: Segment) -> str:
    return segment.key
