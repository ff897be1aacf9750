"""``portal backup`` and ``portal restore``: the database and every stored file in one archive.

``archive`` is the file format, ``database`` the snapshot and restore of each database backend,
``making`` and ``restoring`` put them together, and ``commands`` is the thin click layer.
docs/operations.md ("Backup and restore") is the operator's guide.
"""
