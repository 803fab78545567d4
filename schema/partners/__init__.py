"""The partners API package: suppliers, customers and their addresses."""
