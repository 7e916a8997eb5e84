"""heatwatch.demo: the whole system on one machine, and the local services behind it.

`heatwatch demo` (command.py) runs simulated pumps, edge agents and a broker;
services.py starts real local stand-ins for a site's infrastructure (a
Mosquitto or embedded broker, a pty pair as the serial line) on free ports.
The tests use the same services. Nothing in the core or the edge imports this.
"""
