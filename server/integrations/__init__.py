"""Integrations with other systems: webhooks (signed HTTP deliveries of the event journal to registered
endpoints, docs/integrations.md). The endpoints are administered through ``endpoints.py`` (``do_*``
actions, permission ``webhook.manage``); ``delivery.py`` sends the journal to them from the job worker."""
