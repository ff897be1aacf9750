"""Notifications: what a customer is told in the portal (the bell) and, if they want it, by email.

Plugins and the core create them through ``portal.plugin.notify``; the kinds that exist are declared
through the ``portal_notification_types`` hook, and each customer chooses which kinds also come by email.
"""
