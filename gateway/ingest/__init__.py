"""Ingest: what arrives from the agents, checked against the contract and deduplicated."""
