"""The Flask extensions the core initialises; each keeps its per-app state on the app it is given.

The rate limiter is not here: Flask-Limiter keeps settings on the extension object, so each app
makes its own (see portal/app.py).
"""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from portal.database import db
from portal.message_numbers import PortalBabel

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = PortalBabel()  # numbers in translated sentences in the reader's digits

__all__ = ["babel", "csrf", "db", "login_manager", "migrate"]
