"""User feedback (用户反馈, issue #21): problems, ideas and questions sent from the console screen where
they arose; administrators assign and answer them, the sender reads the answer."""
