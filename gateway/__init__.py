"""The central gateway: turns what the edge agents publish into service tickets.

settings.py reads gateway.toml; db.py opens SQLite or PostgreSQL; each resource
(customers, devices, ingest, incidents, tickets, users) keeps its tables in its
own ``models.py``; migrations/ holds the Alembic history of the schema.
"""
