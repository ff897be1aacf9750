"""A plugin-based customer self-service portal. ``create_app`` builds one; plugins use ``portal.plugin``."""

from portal.app import create_app

__all__ = ["create_app"]
