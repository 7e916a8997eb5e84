"""What an evaluation found: a table in the terminal and, with ``--report DIR``, a markdown report
(report.md) with its plots (PNG, matplotlib): lead times per fault, false tickets, examples."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table

from heatwatch.eval.figures import Figures, median, p10, prognosis_quality, title
from heatwatch.eval.results import PumpResult
from heatwatch.faults import PUMP_FAULTS, SENSOR_FAULTS
from heatwatch.units import DAY


def _d(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def fault_rows(fig: Figures) -> list[list[str]]:
    """Pump faults: pumps, tripped, caught before the trip (recall), lead median / p10 (days), lead as a
    share of onset -> trip, found after the trip, missed, not tripped (with a ticket)."""
    out = []
    for f in PUMP_FAULTS:
        r = fig.rows[f]
        if not r.pumps:
            continue
        out.append([f, str(r.pumps), str(r.tripped), f"{r.caught} ({_pct(r.recall)})", _d(median(r.leads_d)),
                    _d(p10(r.leads_d)), _pct(median(r.shares)), str(r.after_trip), str(r.missed),
                    f"{r.pumps - r.tripped} ({r.open_no_trip})"])
    return out


FAULT_HEAD = ["fault", "pumps", "tripped", "caught (recall)", "lead med d", "lead p10 d", "lead/(onset→trip)",
              "after trip", "missed", "no trip (ticket)"]
SENSOR_HEAD = ["sensor fault", "pumps", "found (ticket)", "onset→ticket median d"]


def sensor_rows(fig: Figures) -> list[list[str]]:
    return [[f, str(fig.rows[f].pumps), f"{fig.rows[f].found}", _d(median(fig.rows[f].detect_d))]
            for f in SENSOR_FAULTS if fig.rows[f].pumps]


def summary_lines(fig: Figures, wall_s: float, poll_min: float | None, cpu_s: float = 0.0,
                  sim_cpu_s: float = 0.0) -> list[str]:
    q1, qa = prognosis_quality(fig.prognosis_first), prognosis_quality(fig.prognosis_all)

    def prog(q) -> str:
        return "none issued" if q is None else (f"n={q.n}, within a factor 2: {q.within_factor_2:.0%}, "
                                                f"interval holds the trip: {q.interval_holds:.0%} "
                                                f"(median latest/earliest x{q.median_width:.1f}), "
                                                f"median predicted/actual {q.median_ratio:.2f}, "
                                                f"earliest after the trip: {q.too_late:.0%}")
    rate = fig.readings / wall_s if wall_s > 0 else float("nan")
    poll = "every simulator step" if poll_min is None else f"every {poll_min:g} min"
    return [
        f"{fig.pumps} pumps, {fig.device_years:.1f} device-years ({fig.run_days:.0f} days), agent reads {poll}; "
        f"{fig.readings:,} readings in {wall_s:.0f} s ({rate:,.0f} readings/s)"
        + (f"; worker CPU {cpu_s:.0f} s, of which the simulator {sim_cpu_s:.0f} s: "
           f"{fig.readings / max(cpu_s - sim_cpu_s, 1e-9):,.0f} readings per CPU second of pipeline and gateway"
           if cpu_s else ""),
        f"tickets: {fig.tickets}; false tickets: {len(fig.false_tickets)} = "
        f"{fig.false_per_100_device_years:.1f} per 100 device-years; trips with no warning ticket: "
        f"{fig.trips_unwarned}",
        f"sensor faults taken for pump faults: {fig.sensor_as_pump}; pump faults taken for sensor faults: "
        f"{fig.pump_as_sensor}",
        fig.revised_line(),
        f"notifications per customer: {fig.notifications_per_customer:.2f} over the run "
        f"({fig.notifications} queued by the gateway for {fig.customers} customers)",
        f"predicted failure, first on the ticket: {prog(q1)}",
        f"predicted failure, every update before the trip: {prog(qa)}",
    ]


def print_report(fig: Figures, wall_s: float, poll_min: float | None, console: Console | None = None,
                 cpu_s: float = 0.0, sim_cpu_s: float = 0.0) -> None:
    console = console or Console()
    t = Table(title="heatwatch eval: pump faults")
    for i, h in enumerate(FAULT_HEAD):
        t.add_column(h, no_wrap=i == 0)
    for row in fault_rows(fig):
        t.add_row(*row)
    console.print(t)
    rows = sensor_rows(fig)
    if rows:
        s = Table(title="sensor faults")
        for h in SENSOR_HEAD:
            s.add_column(h)
        for row in rows:
            s.add_row(*row)
        console.print(s)
    for line in summary_lines(fig, wall_s, poll_min, cpu_s, sim_cpu_s):
        console.print(line)


# ---- the markdown report -----------------------------------------------------------------------

def _md_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M")


def write_report(out: Path, fig: Figures, pumps: list[PumpResult], scenarios: list[str], wall_s: float,
                 poll_min: float | None, examples: int = 3, cpu_s: float = 0.0, sim_cpu_s: float = 0.0) -> Path:
    """report.md and its PNGs in ``out`` (created); returns the markdown's path."""
    import matplotlib

    matplotlib.use("Agg")
    out.mkdir(parents=True, exist_ok=True)
    parts = [f"# heatwatch eval: {', '.join(scenarios)}", "",
             *[f"- {line}" for line in summary_lines(fig, wall_s, poll_min, cpu_s, sim_cpu_s)], "",
             "## Pump faults", "", _md_table(FAULT_HEAD, fault_rows(fig)), ""]
    if sensor_rows(fig):
        parts += ["## Sensor faults", "", _md_table(SENSOR_HEAD, sensor_rows(fig)), ""]
    parts += ["## Lead times", "", "![lead times per fault](lead_times.png)", ""]
    _plot_leads(fig, out / "lead_times.png")
    parts += ["## False tickets", "", f"{len(fig.false_tickets)} false tickets "
              f"({fig.false_per_100_device_years:.1f} per 100 device-years).", "",
              "![false tickets](false_tickets.png)", ""]
    _plot_false(fig, out / "false_tickets.png")
    if fig.false_tickets:
        parts += [_md_table(["pump", "truth", "ticket", "opened", "why"],
                            [[p.device, p.fault or "healthy", t.fault, _iso(t.opened_ts), why]
                             for p, t, why in fig.false_tickets[:20]]), ""]
    parts += ["## Example tickets", ""]
    for i, (p, t) in enumerate(_examples(pumps, examples)):
        name = f"example_{i + 1}.png"
        _plot_example(p, t, out / name)
        lead = f"{(p.trip_ts - t.opened_ts) / DAY:.1f} d before the trip" if p.trip_ts else "no trip in the run"
        parts += [f"### {p.device} ({p.site}, {p.climate}, {p.refrigerant}): {title(t.fault)}", "",
                  f"- truth: {p.fault or 'healthy'}" + (f", onset {_iso(p.onset_ts)}" if p.onset_ts else "")
                  + (f", first trip {_iso(p.trip_ts)} ({p.trip_kind})" if p.trip_ts else ""),
                  f"- ticket opened {_iso(t.opened_ts)} ({lead}), priority P{t.priority} "
                  f"(most urgent P{t.best_priority})",
                  f"- the agent said: {t.explanation}"]
        for f in t.evidence[:4]:
            parts.append(f"- evidence: {f.get('kind')} on {', '.join(f.get('channels', []))}: "
                         f"expected {f.get('expected', '-')}, observed {f.get('observed', '-')}, "
                         f"score {f.get('score', 0):.1f}. {f.get('message', '')}")
        if t.prognoses:
            g = t.prognoses[0]
            parts.append(f"- predicted failure on the ticket: {_iso(g.predicted_ts)} "
                         f"({_iso(g.earliest_ts)} .. {_iso(g.latest_ts)})")
        parts += ["", f"![{p.device}]({name})", ""]
    md = out / "report.md"
    md.write_text("\n".join(parts), encoding="utf-8")
    return md


def _examples(pumps: list[PumpResult], n: int):
    """Caught pump faults of different kinds first, then a sensor fault, then a false ticket."""
    picked, kinds = [], set()
    for p in sorted(pumps, key=lambda p: p.device):
        for t in p.tickets:
            before_trip = p.trip_ts is None or t.opened_ts < p.trip_ts
            if t.fault == p.fault and p.fault not in kinds and p.series and before_trip:
                picked.append((p, t))
                kinds.add(p.fault)
                break
    for p in pumps:
        for t in p.tickets:
            if t.fault != p.fault and t.fault != "pump_trip" and p.series and len(picked) < n + 1:
                picked.append((p, t))
                break
        else:
            continue
        break
    return picked[:n]


def _plot_leads(fig: Figures, path: Path) -> None:
    import matplotlib.pyplot as plt

    faults = [f for f in PUMP_FAULTS if fig.rows[f].tripped]
    fg, ax = plt.subplots(figsize=(8, 4))
    if faults:
        data = [fig.rows[f].leads_d or [0.0] for f in faults]
        ax.boxplot(data, orientation="horizontal", tick_labels=[f"{f} ({fig.rows[f].caught}/{fig.rows[f].tripped})"
                                                   for f in faults])
        for i, f in enumerate(faults):
            ax.scatter(fig.rows[f].leads_d, [i + 1] * len(fig.rows[f].leads_d), s=12, alpha=0.6)
    ax.set_xlabel("lead time before the first trip (days)")
    ax.set_title("tickets before the trip, per fault (caught/tripped)")
    fg.tight_layout()
    fg.savefig(path, dpi=100)
    plt.close(fg)


def _plot_false(fig: Figures, path: Path) -> None:
    import matplotlib.pyplot as plt

    counts: dict[str, int] = {}
    for p, t, _ in fig.false_tickets:
        key = f"{p.fault or 'healthy'} → {t.fault}"
        counts[key] = counts.get(key, 0) + 1
    fg, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(counts) + 1)))
    if counts:
        keys = sorted(counts, key=counts.get)
        ax.barh(keys, [counts[k] for k in keys])
    else:
        ax.text(0.5, 0.5, "no false tickets", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("false tickets (truth → ticket)")
    ax.set_title(f"false tickets: {fig.false_per_100_device_years:.1f} per 100 device-years")
    fg.tight_layout()
    fg.savefig(path, dpi=100)
    plt.close(fg)


def _plot_example(p: PumpResult, t, path: Path) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    chans = list(p.series)[:4]
    fg, axes = plt.subplots(len(chans) or 1, 1, figsize=(9, 1.8 * max(1, len(chans)) + 0.6), sharex=True,
                            squeeze=False)
    x = (np.asarray(p.series_ts) - p.series_ts[0]) / DAY if p.series_ts else np.zeros(0)
    t0 = p.series_ts[0] if p.series_ts else t.opened_ts
    for ax, c in zip(axes[:, 0], chans):
        ax.plot(x, p.series[c], lw=0.7)
        ax.set_ylabel(c)
        for ts, style, label in ((p.onset_ts, ":", "onset"), (t.opened_ts, "-", "ticket"),
                                 (p.trip_ts, "--", "trip")):
            if ts is not None:
                ax.axvline((ts - t0) / DAY, ls=style, color="k", lw=1, label=label)
    axes[0, 0].legend(loc="upper left", fontsize=8)
    axes[0, 0].set_title(f"{p.device}: {t.fault} (truth: {p.fault or 'healthy'}), hourly means")
    axes[-1, 0].set_xlabel("days since start")
    fg.tight_layout()
    fg.savefig(path, dpi=90)
    plt.close(fg)
