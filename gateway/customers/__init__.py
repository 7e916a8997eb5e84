"""Customers and their sites: who is told, how, when, and where the pumps stand."""
