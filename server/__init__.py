"""jxc server: settings, database, models, domain services, events and the ASGI app."""
