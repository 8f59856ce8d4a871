"""catalyst-tui: a terminal dashboard for a multi-tenant AI-agent workspace."""

__version__ = "0.1.0"
