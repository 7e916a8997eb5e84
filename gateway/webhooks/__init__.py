"""Outgoing webhooks: every ticket change, signed and delivered to external field-service systems.

models.py (subscriptions, the delivery queue, each attempt), service.py
(``enqueue_ticket_change``, called in the ticket's own transaction),
delivery.py (the worker that sends, retries with backoff and logs),
signing.py (HMAC-SHA256, also for receivers), router.py (/webhooks).
"""
