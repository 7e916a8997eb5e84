"""heatwatch.demo: the whole system on one machine, and the local services behind it.

`heatwatch demo` (command.py) runs the loop from pump to customer: the
simulator (fleet_plan.py picks the scenario), an edge agent per pump, a
broker, the gateway in its own process (gateway_side.py, gateway_host.py)
over a seeded world (world.py), and a local SMTP mailbox (mailbox.py) that
the board shows (mailbox_page.py); table.py, progress.py and wording.py say
what happens. services.py starts real local stand-ins for a site's
infrastructure (a Mosquitto or embedded broker, a pty pair as the serial
line) on free ports; the tests use them too. Nothing in the core, the edge
or the gateway imports this.
"""
