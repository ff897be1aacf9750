"""gunicorn for the portal behind nginx: ``gunicorn -c deploy/gunicorn.conf.py portal.wsgi:app``.

Options given on the command line (``--bind``, ``--workers``) win over these.
"""

import multiprocessing

# Metrics that add up every worker's counts when PROMETHEUS_MULTIPROC_DIR is set (docs/production.md).
from portal.gunicorn_conf import child_exit, on_starting  # noqa: F401

# nginx on the same machine is the only client; it is what listens on the public port.
bind = "127.0.0.1:8000"
# Sync workers: nginx buffers slow clients' uploads and answers, so a worker is busy only while the
# portal works. Two per core and one more keeps the cores busy while some wait on the database.
worker_class = "sync"
workers = 2 * multiprocessing.cpu_count() + 1
# A request that takes longer is stuck; the worker is replaced and nginx answers 502.
timeout = 30
graceful_timeout = 30
# Replace each worker after about a thousand requests, at staggered times, so memory a plugin leaks
# cannot grow without end.
max_requests = 1000
max_requests_jitter = 100
# nginx writes the access log, with the request id; errors go to standard error, for journald.
accesslog = None
errorlog = "-"
# X-Forwarded-* are trusted from nginx on this machine only (the portal reads them with
# PORTAL_PROXY_HOPS=1).
forwarded_allow_ips = "127.0.0.1"
# gunicorn 25.1+ opens a control socket at one path per user, which a second gunicorn of the same
# user (another site, a benchmark) would fight over; the portal is managed through systemd instead.
control_socket_disable = True
