"""The scanning API package: resolving scanned codes, scan sessions and labels."""
