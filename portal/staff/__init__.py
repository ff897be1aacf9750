"""The staff console shell: its home, the plugins page and the audit log."""
