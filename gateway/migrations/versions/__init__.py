"""Alembic revisions of the gateway schema, oldest first by their numbers."""
