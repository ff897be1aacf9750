"""Webhooks: domain events sent, signed, to the addresses administrators subscribed to them.

Deliveries join the outbox: they are stored with the event, in the transaction that made it true,
and sent by jobs after the commit, so a rollback sends nothing and a crash loses nothing.
"""
