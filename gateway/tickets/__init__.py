"""Tickets: the work a dispatcher schedules, with its SLA and its history."""
