"""Inbound mail: replies and new requests that arrive by email, checked, recorded and handed to plugins.

docs/mail-in.md describes the whole path; ``routing.receive`` is the one way in for the SMTP receiver
and the IMAP poller alike.
"""
