"""Flows as data, no Telegram: steps, options, validation, diagrams. The engine that runs them over
Telegram is bot/handlers/wizard.py; drafts are committed to SQLite at every step."""

from bot.wizard.steps import Choice, Confirm, Flow, Invalid, Media, Option, Phone, Post, Step, Story, Text

__all__ = [
    "Choice",
    "Confirm",
    "Flow",
    "Invalid",
    "Media",
    "Option",
    "Phone",
    "Post",
    "Step",
    "Story",
    "Text",
]
