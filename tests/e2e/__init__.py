"""A package on purpose: its conftest.py then imports as "e2e.conftest" and never replaces tests/conftest.py
as the module "conftest", which other test modules import helpers from."""
