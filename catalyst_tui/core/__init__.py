"""The headless core: models, workspace storage, readers, health.

Nothing under ``catalyst_tui.core`` may import textual (enforced by
``tests/test_headless_core.py``).
"""
