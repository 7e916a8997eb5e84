"""Customer notifications: every ticket step told to the customer, on their channels, in their language.

models.py (the outbox: one message per ticket step, customer and channel, and
its delivery log), outbox.py (``queue_ticket_change``, called in the ticket
change's own transaction, and ``queue_step`` for steps other parts decide),
steps.py (which ticket change is which step), revision.py (a revised diagnosis:
whether the customer hears of it), messages.py (Jinja2 templates
per step and language, Babel for dates), plain_words.py (faults in plain
words per language), quiet.py (quiet hours, the daily cap, digests),
channels.py (channel kinds to Apprise URLs), delivery.py (the worker that
sends through Apprise, retries and logs), status_link.py (the signed,
expiring link to the customer's status page).
"""
