"""Every worn compressor's estimate every 12 h from the raise to the trip (prognosis_fleets.estimates, the code of
the checkout it runs in), with its raw date (no table) and the path that dated it, dumped as JSON; any fleet file
(wear-only or every fault: only the compressor_wear pumps are replayed).

    python bench/wearfar60_tools/replay.py FLEET.json [MORE.json ...] --dump OUT.json [--set NAME=VALUE ...]

--set sets a prognosis constant for the run (a float, None, True/False): the candidate's switch
(``--set WEAR_LINE=True``, bench/heldout49_wearfar.md); --laws FAULT:CHANNEL=law,law sets a GROWTH_LAWS entry."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import prognosis_fleets as pf  # noqa: E402
from heatwatch.edge.heatpump import prognosis as pg  # noqa: E402
from heatwatch.units import DAY  # noqa: E402


def _value(text: str):
    if text in ("None", "True", "False"):
        return {"None": None, "True": True, "False": False}[text]
    return float(text)


def wear_rows(path: str) -> list[dict]:
    """Each worn compressor's estimates of one fleet file, with the raw date and the path that dated it."""
    out = []
    plain_predict = pg.PrognosisTracker.predict
    seen: list[dict] = []  # per calibrated predict that gave a date, in order: its raw date and paths

    def predict(self, fault, now):
        p = plain_predict(self, fault, now)
        if self.calibration is not None and p is not None:
            cal, self.calibration = self.calibration, None
            raw = plain_predict(self, fault, now)
            self.calibration = cal
            seen.append({"raw": None if raw is None else (raw.predicted_trip_ts - now) / DAY,
                         "by": dict(self._dated_by)})  # the raw predict's paths are the calibrated one's
        return p
    pg.PrognosisTracker.predict = predict
    try:
        for p in json.load(open(path)):
            if p["fault"] != "compressor_wear":
                continue
            seen.clear()
            est = pf.estimates(p)
            if len(est) != len(seen):
                raise SystemExit(f"{path} {p['device']}: {len(est)} estimates, {len(seen)} raw dates")
            for x, s in zip(est, seen):
                x.update(fleet=Path(path).stem, device=p["device"], trip_kind=p["trip_kind"], raw=s["raw"],
                         dated_by=s["by"].get(x["indicator"], ""))
                out.append(x)
    finally:
        pg.PrognosisTracker.predict = plain_predict
    return out


def main(args: list[str]) -> None:
    dump, sets, paths = None, {}, []
    it = iter(args)
    for a in it:
        if a == "--dump":
            dump = next(it)
        elif a == "--laws":  # FAULT:CHANNEL=law,law (prognosis.GROWTH_LAWS' entry)
            k, v = next(it).split("=", 1)
            pg.GROWTH_LAWS[tuple(k.split(":"))] = tuple(v.split(","))
            sets[f"laws {k}"] = v
        elif a == "--set":
            k, v = next(it).split("=", 1)
            sets[k] = _value(v)
        else:
            paths.append(a)
    for k, v in sets.items():
        if k.startswith("laws "):
            continue
        if not hasattr(pg, k):
            raise SystemExit(f"prognosis has no {k}")
        setattr(pg, k, v)
    rows = [r for f in paths for r in wear_rows(f)]
    print("set", sets, "estimates", len(rows))
    if dump:
        json.dump(rows, open(dump, "w"))


if __name__ == "__main__":
    main(sys.argv[1:])
