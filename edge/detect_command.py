"""`heatwatch detect`: score any numeric multivariate CSV time series for anomalies.

Reads a CSV (detect_input.py: delimiter sniffed, time column, a device column,
labels/ids/text/constant columns left out by name or content), and runs an
:class:`~heatwatch.edge.generic_detector.adaptive.AdaptiveDetector` per device over the
columns left. ``--given`` names driver columns: the other columns are scored on
what the drivers do not explain (given.py). Writes one row per input row, in
the input's order: timestamp, (device,) score, anomaly; the score is calibrated
(1.0 = the alarm threshold, a healthy row's exceedance probability
``--false-alarm-rate``). Bad input ends with a one-line message and exit code 2;
empty/NaN cells, unreadable cells and short rows are kept as missing and counted;
duplicate timestamps are counted and warned about.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import typer

from heatwatch.edge.detect_input import InputError, Series, read_series
from heatwatch.edge.generic_detector.adaptive import AdaptConfig
from heatwatch.edge.generic_detector.offset import OffsetConfig

CHUNK = 20_000  # rows per score() call: bounded memory, progress for long inputs
FROZEN_CONFIDENCE = 0.95  # without adaptation: the threshold's tail scale at this upper confidence bound
FROZEN_RELEASE = "fixed"  # the learned release (clusters) is opt-in: it shortens a healthy alarm but breaks a fault's into more raises


def _names(text: str) -> set[str]:
    return {c.strip() for c in text.split(",") if c.strip()}


def detect(
    input: Path = typer.Argument(..., help="CSV with a header row; a time column and numeric columns."),
    out: Path = typer.Option(..., "--out", help="Where to write timestamp,(device,)score,anomaly per row (with --given also status: judged, held or unseen)."),
    train_rows: int | None = typer.Option(None, "--train-rows", help="The first N rows (of each device) are healthy: learn from them."),
    exclude: str = typer.Option("", "--exclude", help="Comma-separated columns to ignore."),
    keep: str = typer.Option("", "--keep", help="Comma-separated columns to score even if their name or content looks like a label or id."),
    device: str | None = typer.Option(None, "--device", help="The column that tells devices apart (default: one named device, device_id, unit, ...)."),
    given: str = typer.Option("", "--given", help="Comma-separated driver columns (e.g. t_outdoor): score the others on what these do not explain."),
    warmup: int = typer.Option(300, "--warmup", help="Without --train-rows: rows learned from before scoring."),
    adapt: bool | None = typer.Option(None, "--adapt/--no-adapt", help="Re-learn after lasting changes and follow slow drift (default: on when learning online, off with --train-rows)."),
    memory: int = typer.Option(2000, "--memory", help="With --adapt: rows remembered for re-learning."),
    seasonal: bool = typer.Option(False, "--seasonal", help="Look for a cycle (e.g. daily) in the learning rows and expect its profile."),
    daily: bool = typer.Option(True, "--daily/--no-daily", help="With dated rows: look for a 24-h cycle in what the drivers leave and expect its hourly profile."),
    crossfit: bool = typer.Option(False, "--crossfit/--no-crossfit", help="With --given: learn the residuals' spread from rows the driver model did not see (one block per day): fewer alarms on new weather, slow faults seen later."),
    crossfit_threshold: str = typer.Option("crossfit", "--crossfit-threshold", help="With --crossfit: the alarm threshold from the crossfitted residuals (crossfit) or from the in-sample ones (in-sample; the scales, correlation and references stay crossfitted)."),
    lag_hours: float = typer.Option(24.0, "--lag-hours", help="With --given and dated rows: where each continuous driver's exponentially weighted mean over this many hours (a building's view of the air) is beyond its training range, allow the expectation's error to grow there, on the columns whose training residuals follow it (and those that move with them): fewer alarms on a season the training did not show; 0: off."),
    profile_drivers: bool = typer.Option(False, "--profile-drivers/--no-profile-drivers", help="With --given: judge the MEWMA with 'the machine answers its drivers as if they read a little differently' profiled out (per row the expectation's change per unit of each continuous driver): a drift along it is what the drivers explain; a change across it counts in full. Fewer healthy hours flagged on the weather bench, a fault seen as before or a little later (docs/generic-detector.md)."),
    profile_offset: bool = typer.Option(False, "--profile-offset/--no-profile-offset", help="With --given: judge the MEWMA with the direction of the expectation's own miss on the recent rows beyond the drivers' (or their lagged view's) training range profiled out: a season's offset the training did not show, carried back inside the range by a warm spell, costs nothing; a change across it counts in full (measured, opt-in: docs/generic-detector.md)."),
    offset_pace: float = typer.Option(0.0, "--offset-pace", help="With --given and dated rows: re-fit each column's expectation LEVEL on the rows judged (a slow mean of the expectation's miss on the rows where no driver nor its lagged view is beyond its training range), moving at most this many training sigma per day, never while an alarm, a held level or an open envelope stands; the training's scales, correlation and threshold kept: a season's offset is learned, a fault that arrives in hours is not (measured, opt-in: docs/generic-detector.md). 0: off."),
    offset_days: float = typer.Option(7.0, "--offset-days", help="With --offset-pace: the time constant of the level's mean, in days of rows learned from."),
    mewma_correlation: str = typer.Option("rows", "--mewma-correlation", help="The correlation the MEWMA is judged with: that of the rows (rows) or that of the EWMA vector itself, learned on the training rows' EWMA (ewma). ewma: fewer healthy hours flagged on the weather bench, but a +4 K condenser signature seen later or never (docs/generic-detector.md)."),
    lag_allowance: str = typer.Option("column", "--lag-allowance", help="With --lag-hours: beyond the lagged view's range, shrink each following column by its own allowance (column) or only the direction their extrapolation errors took together in training (common): a contrast between them (a condensing temperature leaving its pressure) counts in full; or by those errors' covariance across the columns (joint, between the two). common and joint: more alarms on a new season."),
    shared_growth: bool = typer.Option(False, "--shared-growth/--no-shared-growth", help="With --given: beyond the drivers' own training range, give each column an extrapolation allowance at least its tied partners' (residual correlation 0.5 or more) times that correlation: a condensing temperature and its pressure shrunk alike, not read as a broken correlation in a cold the training never held. Measured, opt-in: fewer healthy alarms far beyond the range, a condenser fault there seen later (docs/generic-detector.md)."),
    false_alarm_rate: float = typer.Option(1e-4, "--false-alarm-rate", help="Per healthy row, the chance of exceeding the threshold (score 1.0)."),
    threshold_confidence: float | None = typer.Option(None, "--threshold-confidence", help="The threshold holds --false-alarm-rate with this confidence (0.5: the point estimate; default 0.95 for a frozen model, 0.5 when adapting)."),
    release: str | None = typer.Option(None, "--release", help="When an alarm clears: after 10 rows below 0.8 x the threshold (fixed), or after as many such rows as the healthy score's own excursions stay quiet inside themselves, at most 10 (clusters, opt-in for a frozen model: shorter healthy alarms, but a fault's alarm clears on its dips and is raised again; docs/generic-detector.md). Default: fixed."),
) -> None:
    """Score INPUT row by row against the healthy behaviour learned from its start."""
    from rich.progress import Progress

    from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig
    from heatwatch.edge.generic_detector.adaptive import AdaptiveDetector

    try:
        drivers = _names(given)
        series = read_series(input, _names(exclude), device, _names(keep) | drivers)
        groups = series.groups()
        smallest = min(len(idx) for _, idx in groups)
        if train_rows is not None and not 10 <= train_rows <= smallest:
            which = f" (device {min(groups, key=lambda g: len(g[1]))[0]})" if series.devices is not None else ""
            raise InputError(f"--train-rows {train_rows}: must be between 10 and the {smallest} data rows{which}")
        if train_rows is None and warmup < 10:
            raise InputError("--warmup must be at least 10 rows")
        if not 0.0 < false_alarm_rate < 0.5:
            raise InputError(f"--false-alarm-rate {false_alarm_rate}: must be between 0 and 0.5")
        if memory < 10:
            raise InputError("--memory must be at least 10 rows")
        if not (np.isfinite(lag_hours) and lag_hours >= 0.0):
            raise InputError(f"--lag-hours {lag_hours}: must be 0 (off) or a positive number of hours")
        if lag_allowance not in ("column", "common", "joint"):
            raise InputError(f"--lag-allowance {lag_allowance}: column, common or joint")
        if mewma_correlation not in ("rows", "ewma"):
            raise InputError(f"--mewma-correlation {mewma_correlation}: rows or ewma")
        if crossfit_threshold not in ("crossfit", "in-sample"):
            raise InputError(f"--crossfit-threshold {crossfit_threshold}: crossfit or in-sample")
        if not (np.isfinite(offset_pace) and offset_pace >= 0.0):
            raise InputError(f"--offset-pace {offset_pace}: must be 0 (off) or a positive number (sigma per day)")
        if not (np.isfinite(offset_days) and offset_days > 0.0):
            raise InputError(f"--offset-days {offset_days}: must be a positive number of days")
        if release not in (None, "fixed", "clusters"):
            raise InputError(f"--release {release}: fixed or clusters")
        if threshold_confidence is not None and not 0.5 <= threshold_confidence < 1.0:
            raise InputError(f"--threshold-confidence {threshold_confidence}: must be at least 0.5 and below 1")
        given_idx = [series.columns.index(c) for c in sorted(drivers, key=series.columns.index)]
        if drivers and len(given_idx) == len(series.columns):
            raise InputError("--given names every scored column: nothing is left to judge given them")
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    learn = train_rows if train_rows is not None else warmup
    online = train_rows is None
    adapt_cfg = AdaptConfig(enabled=online if adapt is None else adapt, memory=max(memory, learn), seasonal=seasonal,
                           daily=daily, crossfit=crossfit, lag_hours=lag_hours,
                           crossfit_in_sample_threshold=crossfit_threshold == "in-sample", lag_allowance=lag_allowance,
                           shared_growth=shared_growth,
                           profile_drivers=profile_drivers, profile_offset=profile_offset,
                           offset=OffsetConfig(pace=offset_pace, days=offset_days))
    if threshold_confidence is None:
        # a frozen model keeps the threshold it extrapolated from its training tail for every row it
        # judges, however few independent excursions that tail held: state it at an upper bound
        # (threshold.py). A model that re-learns re-estimates it every refit.
        threshold_confidence = FROZEN_CONFIDENCE if not adapt_cfg.enabled else 0.5
    if release is None:
        # the fixed release for both paths: the learned one (threshold.release_rows) leaves the healthy
        # alarms as many (each shorter) and raises a fault's again after its dips (s-weather31)
        release = FROZEN_RELEASE
    config = HealthyBehaviourConfig(warmup=learn, mewma_correlation=mewma_correlation, threshold=replace(
        ThresholdConfig(), false_alarm_prob=false_alarm_rate, confidence=threshold_confidence, release=release))
    n = len(series.X)
    score = np.zeros(n)
    alarm = np.zeros(n, dtype=bool)
    relearns = refreshes = 0
    periods: list[float] = []
    dailies: list[bool] = []
    beyond = np.zeros(n, dtype=bool)  # judged rows with a driver outside its training range
    unjudged = 0  # rows held at their level after the machine stopped past its drivers' range (aftermath.py)
    unseen = 0  # rows at rest in a machine state the training never held, at a low expected load (not judged)
    status = np.zeros(n, dtype=np.int8) if given_idx else None  # per row: judged / held / unseen (aftermath.py)
    with Progress(transient=True, disable=n < 5 * CHUNK) as progress:
        task = progress.add_task("scoring", total=n)
        for _, idx in groups:
            det = AdaptiveDetector(config, adapt_cfg, given_idx)
            X, ts = series.X[idx], series.ts[idx]
            start = 0
            if train_rows is not None:
                det.fit(ts[:train_rows], X[:train_rows])  # training rows: score 0, no alarm
                start = train_rows
                beyond[idx[train_rows:]] = outside_training_range(X[:, given_idx], train_rows)
                progress.advance(task, train_rows)
            for s in range(start, len(idx), CHUNK):
                res = det.score(ts[s:s + CHUNK], X[s:s + CHUNK])
                score[idx[s:s + len(res.score)]] = res.score
                alarm[idx[s:s + len(res.score)]] = res.anomaly
                if status is not None and res.status is not None:
                    status[idx[s:s + len(res.score)]] = res.status
                progress.advance(task, len(res.score))
            periods.append(det.period)
            dailies.append(det.daily)
            relearns += det.relearns
            unjudged += det.aftermath.unjudged if det.aftermath is not None else 0
            unseen += det.aftermath.unseen if det.aftermath is not None else 0
            refreshes += det.refreshes

    _write(out, series, score, alarm, status)
    _summary(series, alarm, train_rows, learn, adapt_cfg, drivers, relearns, refreshes, out)
    if seasonal:
        found = [p for p in periods if p]
        typer.echo(f"cycle: {'none found' if not found else ', '.join(f'{p:.1f} rows' for p in sorted(set(found)))}"
                   + (f" ({len(found)} of {len(periods)} devices)" if len(periods) > 1 else ""))
    if beyond.any():
        typer.echo(f"drivers beyond their training range on {int(beyond.sum())} judged rows, "
                   f"{int((alarm & beyond).sum())} of them anomalous (of {int(alarm.sum())}): the expectation there "
                   "is extrapolated; a training window that covers them is the remedy (--adapt follows the drivers "
                   "from its last rows only and flags more on weather-driven data: docs/generic-detector.md)")
    if unjudged:
        typer.echo(f"not judged: {unjudged} rows after the machine stopped past its drivers' training range "
                   "(beyond it, or idle while the drivers' day-mean stayed beyond it; each column held at its "
                   "level before)")
    if unseen:
        typer.echo(f"out of envelope: {unseen} rows not judged, the machine at rest in a state its training never "
                   "held (a running column below half its lowest training reading) while the drivers put its load "
                   "low; status 'unseen' in the output (a stop where the load is expected high is judged)")
    if any(dailies):
        typer.echo("daily cycle: found" + (f" ({sum(dailies)} of {len(dailies)} devices)" if len(dailies) > 1 else "")
                   + ", the hour of the day is a driver")
    if train_rows is None and smallest <= warmup:
        typer.echo(f"warning: a device has only {smallest} rows, all used for warm-up (--warmup {warmup}): "
                   "nothing of it was scored", err=True)


def outside_training_range(D: np.ndarray, train_rows: int) -> np.ndarray:
    """Per judged row (those after ``train_rows``): is any driver outside the range its training
    rows covered? There the driver model's expectation is an extrapolation, and what is flagged
    may be a regime the training never showed (first frosts, a warm spell) as much as a fault."""
    if D.shape[1] == 0 or train_rows >= len(D):
        return np.zeros(max(len(D) - train_rows, 0), dtype=bool)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):  # a driver missing on every training row
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(D[:train_rows], axis=0), np.nanmax(D[:train_rows], axis=0)
        out = (D[train_rows:] < lo) | (D[train_rows:] > hi)
    return np.any(out & np.isfinite(D[train_rows:]), axis=1)


STATUS = ("judged", "held", "unseen")  # aftermath.JUDGED / HELD / UNSEEN: what a row's score means


def _write(out: Path, series: Series, score: np.ndarray, alarm: np.ndarray, status: np.ndarray | None = None) -> None:
    """The scores per row; with drivers (``status``) also whether each row was judged: ``held`` past a stop
    beyond the drivers' range, ``unseen`` at rest in a state the training never held (its score says nothing)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = [] if status is None else ["status"]
    tail = [()] * len(score) if status is None else [(STATUS[int(k)],) for k in status]
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        if series.devices is None:
            w.writerow(["timestamp", "score", "anomaly", *extra])
            w.writerows([t, f"{s:.6g}", int(a), *x] for t, s, a, x in zip(series.times, score, alarm, tail))
        else:
            w.writerow(["timestamp", series.device_column, "score", "anomaly", *extra])
            w.writerows([t, d, f"{s:.6g}", int(a), *x]
                        for t, d, s, a, x in zip(series.times, series.devices, score, alarm, tail))


def _summary(series: Series, alarm: np.ndarray, train_rows: int | None, learn: int, adapt: AdaptConfig,
             drivers: set[str], relearns: int, refreshes: int, out: Path) -> None:
    n = len(series.X)
    groups = series.groups()
    learned = f"trained on {train_rows} rows" if train_rows is not None else f"warm-up {learn} rows"
    per = f" per device ({len(groups)} devices, column {series.device_column!r})" if series.devices is not None else ""
    scored = [c for c in series.columns if c not in drivers]
    given = f" given {', '.join(sorted(drivers))}," if drivers else ""
    adapted = (f", re-learned {relearns}x after lasting changes, refreshed {refreshes}x"
               if adapt.enabled else "")
    typer.echo(f"{n} rows, {len(scored)} features,{given} {learned}{per}, {int(alarm.sum())} anomalous rows, "
               f"{series.missing} missing/NaN cells, {series.duplicate_times} duplicate timestamps{adapted} -> {out}")
    if series.left_out:
        typer.echo("left out: " + "; ".join(f"{k} ({v})" for k, v in series.left_out.items()), err=True)
    if series.problems():
        typer.echo(f"warning: read as missing: {series.problems()}", err=True)
    if series.duplicate_times:
        where = " of the same device" if series.devices is not None else ""
        typer.echo(f"warning: {series.duplicate_times} rows repeat an earlier timestamp{where} "
                   f"(first at line {series.first_duplicate_line}); they are scored in file order", err=True)
