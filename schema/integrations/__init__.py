"""The webhook endpoints' API (``webhook.manage``): register, change, disable, rotate, replay, ping, and
read the delivery log (server/integrations/)."""
