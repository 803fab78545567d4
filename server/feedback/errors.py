"""Feedback errors (用户反馈), each with its Chinese and English message."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary

FEEDBACK = error_vocabulary(
    "Feedback",
    {
        "FEEDBACK_CLOSED": (
            "该反馈已关闭，不能再分派、答复或关闭。",
            "This feedback is closed: it can no longer be assigned, answered or closed.",
        ),
    },
    shared=("INACTIVE",),
)

FeedbackErrorCode = FEEDBACK.codes


class FeedbackError(DomainError):
    """A feedback rule violation."""

    vocabulary = FEEDBACK
