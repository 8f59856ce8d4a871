"""The screens of the dashboard, one module each; the registry is ``catalyst_tui.ui.registry``."""
