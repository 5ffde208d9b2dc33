"""Bot API error answers, worded as Telegram words them."""

from __future__ import annotations

from typing import Any

CHAT_NOT_FOUND = "Bad Request: chat not found"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
NOT_A_FORUM = "Bad Request: the chat is not a forum"
NO_TOPIC_RIGHTS = "Bad Request: not enough rights to create a topic"
NO_TOPIC_EDIT_RIGHTS = "Bad Request: not enough rights to manage topics"
NO_TOPIC_DELETE_RIGHTS = "Bad Request: not enough rights to delete the topic"
THREAD_NOT_FOUND = "Bad Request: message thread not found"
TOPIC_ID_INVALID = "Bad Request: TOPIC_ID_INVALID"  # deleteForumTopic of a topic that is not there
TOPIC_CLOSED = "Bad Request: TOPIC_CLOSED"
TOPIC_NOT_MODIFIED = "Bad Request: TOPIC_NOT_MODIFIED"
BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
KICKED = "Forbidden: bot was kicked from the group chat"
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
CONFLICT_POLLER = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class ApiError(Exception):
    """An error answer: HTTP status == error_code, plus optional ``parameters``."""

    def __init__(self, code: int, description: str, **parameters: Any):
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str, **parameters: Any) -> ApiError:
    """A 400 answer; ``text`` is what follows "Bad Request: "."""
    return ApiError(400, f"Bad Request: {text}", **parameters)
