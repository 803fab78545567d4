"""Running jxc for years: backups and their restore (more housekeeping joins here)."""
