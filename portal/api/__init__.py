"""The REST API under /api/v1: tokens, the shell that mounts the core's and plugins' routes, problems."""
