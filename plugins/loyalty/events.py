"""The events the loyalty plugin emits; each carries ``customer_id`` (the customer) on the event.

- ``loyalty.points_earned``: ``{"user_id", "points", "kind", "entry_id"}``; any credit (earned, goodwill,
  adjusted, reversed).
- ``loyalty.reward_redeemed``: ``{"user_id", "reward_id", "redemption_id", "points"}``.
- ``loyalty.redemption_cancelled``: ``{"user_id", "redemption_id", "points"}``; the points came back.
- ``loyalty.points_expired``: ``{"user_id", "points", "entry_id"}``.
- ``loyalty.tier_changed``: ``{"user_id", "from", "to"}`` with tier codes (bronze, silver, gold, platinum).

It listens to ``tickets.rated``, ``surveys.completed``, ``core.email_verified`` and ``core.registered``
(see awards.py), awarding the points an administrator set, once per event id.
"""

EMITTED = (
    "loyalty.points_earned",
    "loyalty.reward_redeemed",
    "loyalty.redemption_cancelled",
    "loyalty.points_expired",
    "loyalty.tier_changed",
)
