"""A fleet file's fouled condensers alone (a replay of them is the fleet's replay for that fault: each pump is replayed
on its own), so main and a candidate that only moves condenser dates are replayed in seconds, not minutes.

    python bench/condfar61_tools/condenser_pumps.py FLEET.json OUT.json
"""

import json
import sys

if __name__ == "__main__":
    pumps = [p for p in json.load(open(sys.argv[1])) if p["fault"] == "condenser_fouling"]
    json.dump(pumps, open(sys.argv[2], "w"))
    print(f"{len(pumps)} fouled condensers -> {sys.argv[2]}")
