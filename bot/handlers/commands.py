"""The command names, each with a `user-command-<name>` or `staff-command-<name>` description in content."""

USER_COMMANDS = (
    "start",
    "menu",
    "faq",
    "help",
    "language",
    "report",
    "status",
    "register",
    "mydata",
    "deletedata",
    "cancel",
)
STAFF_COMMANDS = ("cases", "case", "broadcast", "stats", "export", "chatid")
