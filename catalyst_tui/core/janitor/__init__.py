"""janitor: see the modules of this package."""
