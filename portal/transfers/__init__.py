"""Importing and exporting CSV: one mechanism for the core's customers and every plugin's kinds.

``kinds`` says what an import or export kind is; ``registry`` collects the core's and the enabled
plugins' kinds (``portal_import_kinds``, ``portal_export_kinds``) and checks their names; ``reading``
turns a file into rows with line numbers; ``importing`` checks every row, then applies them all in
one transaction or none; ``exporting`` writes rows a spreadsheet cannot run; ``customers`` holds the
core's own kinds and ``commands`` the ``portal import`` and ``portal export`` commands. The API's
routes are in ``portal.api.transfer_routes``.
"""
