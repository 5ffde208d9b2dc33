"""The one wizard mechanism: steps as data, drafts committed to SQLite at every step."""

from bot.wizard.steps import Choice, Confirm, Flow, Invalid, Media, Option, Phone, Post, Step, Text

__all__ = ["Choice", "Confirm", "Flow", "Invalid", "Media", "Option", "Phone", "Post", "Step", "Text"]
