"""``heatwatch eval``: the whole decision path (simulator -> agent pipeline -> gateway incidents and
tickets) over simulated fleets in batch, judged against the simulator's ground truth.

partitions.py  the fleet cut into independent parts (one per site)
gateway_side.py  a private gateway database per part: the real incident and ticket code
worker.py      one part: simulate, judge each pump, feed the gateway, keep what the figures need
results.py     what a part sends back (per pump: the truth, the tickets)
figures.py     recall, lead times, false tickets, prognosis quality from the results
report.py      the terminal table; the markdown report with its plots
runner.py      Dask: a LocalCluster (or a given scheduler), the progress bar
command.py     the ``heatwatch eval`` command
"""
