"""The central gateway (ingest, incidents, tickets, notifications): a later issue."""
