"""The reports API package: reports, forecasts, the dashboard, jobs and automations."""
