"""Widgets: one per module."""
