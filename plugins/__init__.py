"""The portal's built-in plugins. Each is declared in setup.cfg exactly as a third-party plugin is."""
