"""Notifications: what a person is told in the portal (the bell) and, if they want it, by email.

Plugins and the core create them through ``portal.plugin.notify``; the kinds that exist are declared
through the ``portal_notification_types`` hook, each for customers or for staff, and each person chooses
which of the kinds meant for them also come by email.
"""
