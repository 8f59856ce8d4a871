"""demo: see the modules of this package."""
