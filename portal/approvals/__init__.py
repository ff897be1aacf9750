"""Approvals: actions that wait for an administrator's yes or no.

Some actions are fine for a supervisor but too much for whoever asks: goodwill points above an
agent's limit, say. Rather than refusing, the plugin stores the action as a request, with what to do
and why; an administrator other than the requester approves it (the plugin's ``apply`` runs in the
approving transaction) or declines it, and the requester is told. The core knows no kind by name:
plugins declare theirs through ``portal_approval_kinds``.
"""
