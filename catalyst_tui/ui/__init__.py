"""The Textual layer, on top of the headless core."""
