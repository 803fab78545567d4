"""User feedback (用户反馈): send, list, assign, answer and close."""
