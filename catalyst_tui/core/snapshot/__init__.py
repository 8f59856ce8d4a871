"""snapshot: see the modules of this package."""
