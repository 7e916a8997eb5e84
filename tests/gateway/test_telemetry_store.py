"""The embedded telemetry store on SQLite and PostgreSQL: stored once, read back in buckets,
downsampled and dropped by age with a fixed clock, idempotent, and correct with workers racing."""

from __future__ import annotations

import json
import math
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from heatwatch.contract import ChannelStats, Telemetry, agent_topic
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.telemetry.compaction import CompactionSchedule, compact
from heatwatch.gateway.telemetry.models import Resolution, TelemetryInterval
from heatwatch.gateway.telemetry.retention import RetentionPolicy, floor_to
from heatwatch.gateway.telemetry.series import bucket_seconds, latest, series
from heatwatch.gateway.telemetry.sink import TelemetrySink
from heatwatch.gateway.telemetry.stats import ChannelSummary
from heatwatch.gateway.telemetry.store import record

NOW = datetime(2025, 2, 1, 12, 30, tzinfo=timezone.utc)
POLICY = RetentionPolicy()  # 2 days raw, hourly to 14 days, daily to 28 days
T = TelemetryInterval


@pytest.fixture
def devices(db):
    with db.transaction() as s:
        site = Site(customer=Customer(name="A. Customer"), city="Kassel")
        s.add_all([Device(id="hp-001", site=site), Device(id="hp-002", site=site)])
    return db


def flow(k: int) -> tuple[float, float, float]:
    """A made-up t_flow interval k: mean, min, max (distinct per k, so merges show)."""
    mean = 35.0 + 5.0 * math.sin(k / 7.0)
    return mean, mean - 0.5 - (k % 3) * 0.1, mean + 0.5 + (k % 5) * 0.1


def message(seq: int, start: datetime, length_s: float = 60.0, device: str = "hp-001", n: int = 6,
            health: float | None = None) -> Telemetry:
    mean, low, high = flow(seq)
    return Telemetry(device=device, seq=seq, ts_start=start.timestamp(), ts_end=start.timestamp() + length_s, n=n,
                     channels={"t_flow": ChannelStats(mean=mean, min=low, max=high, n=n),
                               "p_high": ChannelStats(mean=20.0 + seq % 4, min=19.0, max=24.0, n=n),
                               "cop": ChannelStats(n=0)},  # no readings: nothing stored
                     health=health)


def bulk_raw(db, start: datetime, count: int, step: timedelta, device: str = "hp-001") -> None:
    """``count`` raw rows ``step`` apart, as record() writes them, in one statement (fast)."""
    rows = []
    for k in range(count):
        mean, low, high = flow(k)
        t = start + k * step
        rows.append(dict(device_id=device, resolution=Resolution.RAW, ts_start=t, ts_end=t + step, seq=k,
                         intervals=1, readings=6, health=(k % 11) / 10, downsampled=False,
                         channels={"t_flow": [mean, low, high, 6], "p_high": [20.0 + k % 4, 19.0, 24.0, 6]}))
    with db.transaction() as s:
        s.execute(insert(T), rows)


def table(db) -> list[tuple]:
    with db.transaction() as s:
        return [(r.device_id, r.resolution, r.ts_start, r.ts_end, r.intervals, r.readings, r.health,
                 json.dumps(r.channels, sort_keys=True))
                for r in s.scalars(select(T).order_by(T.device_id, T.resolution, T.ts_start))]


def totals(db, channel: str = "t_flow", since: datetime | None = None) -> tuple[int, float, float, float]:
    """Readings, their sum, min and max over every row kept: merging must conserve them."""
    n, total, low, high = 0, 0.0, math.inf, -math.inf
    with db.transaction() as s:
        q = select(T.channels)
        if since is not None:
            q = q.where(T.ts_start >= since)
        for (channels,) in s.execute(q):
            mean, lo, hi, k = channels[channel]
            n, total, low, high = n + k, total + mean * k, min(low, lo), max(high, hi)
    return n, total, low, high


def count(db, resolution: Resolution | None = None) -> int:
    with db.transaction() as s:
        q = select(func.count()).select_from(T)
        return s.scalar(q if resolution is None else q.where(T.resolution == resolution))


# ---- storing ---------------------------------------------------------------------------------

def test_ingest_stores_accepted_telemetry_once(devices):
    db = devices
    ingest = Ingest(db, clock=lambda: NOW)
    start = NOW - timedelta(hours=1)
    topic = agent_topic("hp-001", "telemetry")
    for seq in range(5):
        assert ingest.handle(topic, message(seq, start + timedelta(minutes=seq)).to_json()).accepted
    assert not ingest.handle(topic, message(3, start + timedelta(minutes=3)).to_json()).accepted  # redelivered
    assert count(db, Resolution.RAW) == 5
    assert ingest.telemetry.counters.snapshot() == {"telemetry.stored": 5}

    # the store is idempotent by itself, whatever ingest decided: the same interval twice is one row
    with db.transaction() as s:
        again = record(s, message(3, start + timedelta(minutes=3)), NOW, POLICY.retention)
    assert (again.kept, again.reason) == (False, "duplicate")
    assert count(db) == 5

    with db.transaction() as s:
        row = s.get(T, ("hp-001", Resolution.RAW, start + timedelta(minutes=2)))
    mean, low, high = flow(2)
    assert (row.seq, row.readings, row.intervals, row.ts_end) == (2, 6, 1, start + timedelta(minutes=3))
    assert row.channels == {"t_flow": [mean, low, high, 6], "p_high": [22.0, 19.0, 24.0, 6]}


def test_an_agent_numbering_afresh_is_new_data_not_a_duplicate(devices):
    db = devices
    ingest = Ingest(db, clock=lambda: NOW)
    topic = agent_topic("hp-001", "telemetry")
    for seq in range(3):
        ingest.handle(topic, message(seq, NOW - timedelta(hours=5, minutes=-seq)).to_json())
    outcome = ingest.handle(topic, message(0, NOW - timedelta(hours=1)).to_json())  # its outbox lost: seq 0 again
    assert outcome.reason == "renumbered"
    assert count(db, Resolution.RAW) == 4


def test_unknown_and_broken_channels_are_left_out_and_counted(devices):
    db = devices
    sink = TelemetrySink()
    body = json.loads(message(0, NOW - timedelta(minutes=5)).to_json())
    body["channels"]["made_up"] = {"mean": 1.0, "min": 1.0, "max": 1.0, "n": 1}
    body["channels"]["t_return"] = {"mean": float("nan"), "min": 1.0, "max": 2.0, "n": 6}
    body["channels"]["t_dhw"] = {"mean": 9.0, "min": 1.0, "max": 2.0, "n": 6}  # mean outside its own extremes
    body["health"] = float("inf")
    with db.transaction() as s:
        stored = sink.store(s, Telemetry.model_validate(body), NOW)
    assert stored.kept
    assert sink.counters.snapshot() == {"telemetry.stored": 1, "telemetry.unknown_channel": 1,
                                        "telemetry.invalid_channel": 2}
    with db.transaction() as s:
        row = s.scalars(select(T)).one()
    assert set(row.channels) == {"t_flow", "p_high"} and row.health is None


def test_an_interval_past_retention_is_not_kept(devices):
    with devices.transaction() as s:
        old = record(s, message(0, NOW - POLICY.retention - timedelta(minutes=5)), NOW, POLICY.retention)
    assert (old.kept, old.reason) == (False, "expired")
    assert count(devices) == 0


# ---- reading back ----------------------------------------------------------------------------

@pytest.mark.parametrize("hours, max_points, width", [
    (1, 500, 60), (6, 100, 300),
    (24, 48, 3600),  # 48 half hours would need an aligned end
    (28 * 24, 500, 2 * 3600), (28 * 24, 20, 2 * 86400),
    (365 * 24, 100, 7 * 86400), (365 * 24, 10, 39 * 86400),
])
def test_bucket_width_keeps_to_max_points(hours, max_points, width):
    end = NOW + timedelta(seconds=17)  # not aligned: the buckets at both ends count
    start = end - timedelta(hours=hours)
    assert bucket_seconds(start, end, max_points) == width
    assert math.ceil(end.timestamp() / width) - math.floor(start.timestamp() / width) <= max_points


def test_series_at_full_resolution_and_in_buckets(devices):
    db = devices
    start = NOW - timedelta(hours=6)
    with db.transaction() as s:
        for k in range(6 * 60):
            record(s, message(k, start + timedelta(minutes=k), health=0.1 * (k % 7)), NOW, POLICY.retention)

    with db.transaction() as s:
        last_hour = series(s, "hp-001", ["t_flow"], NOW - timedelta(hours=1), NOW, max_points=500)
    assert last_hour.bucket_s == 60 and last_hour.channels == ("t_flow",)
    assert len(last_hour.points) == 60
    first = last_hour.points[0]
    assert first.start == NOW - timedelta(hours=1) and first.end == first.start + timedelta(minutes=1)
    assert first.channels == {"t_flow": ChannelSummary(*flow(300), 6)} and first.intervals == 1

    with db.transaction() as s:
        halves = series(s, "hp-001", ["t_flow", "p_high"], start, NOW, max_points=12)
    assert halves.bucket_s == 1800 and len(halves.points) == 12
    for i, point in enumerate(halves.points):
        ks = range(30 * i, 30 * i + 30)
        means, lows, highs = zip(*(flow(k) for k in ks))
        summary = point.channels["t_flow"]
        assert summary.mean == pytest.approx(sum(means) / 30, rel=1e-12)
        assert (summary.min, summary.max, summary.n) == (min(lows), max(highs), 180)
        assert point.health == pytest.approx(max(0.1 * (k % 7) for k in ks))
        assert point.intervals == 30 and point.readings == 180
        assert point.start == start + timedelta(minutes=30 * i)

    with db.transaction() as s:
        assert series(s, "hp-002", None, start, NOW).points == []  # another device's readings are not mixed in
        newest = latest(s, "hp-001")
        everything = series(s, "hp-001", None, NOW - timedelta(minutes=10), NOW)
    assert newest is not None and newest.start == NOW - timedelta(minutes=1)
    assert set(newest.channels) == {"t_flow", "p_high"} == set(everything.channels)


@pytest.mark.parametrize("channels, start, end, max_points, message", [
    (["t_flow", "flux_capacitor"], NOW - timedelta(hours=1), NOW, 100, "unknown channel(s): flux_capacitor"),
    ("t_flow", NOW - timedelta(hours=1), NOW, 100, "a list of names"),
    (["t_flow"], NOW, NOW, 100, "must be after start"),
    (["t_flow"], datetime(2025, 1, 1), NOW, 100, "time zone"),
    (["t_flow"], NOW - timedelta(hours=1), NOW, 0, "max_points 0"),
    (["t_flow"], NOW - timedelta(hours=1), NOW, 10**6, "max_points 1000000"),
])
def test_series_refuses_what_it_cannot_answer(devices, channels, start, end, max_points, message):
    with devices.transaction() as s, pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        series(s, "hp-001", channels, start, end, max_points)


# ---- downsampling by age ---------------------------------------------------------------------

def test_compaction_downsamples_by_age_and_conserves_the_readings(devices):
    db = devices
    step = timedelta(minutes=15)
    first = NOW - timedelta(days=30)
    bulk_raw(db, first, 30 * 96, step)  # 30 days of quarter hours
    horizon = POLICY.horizon(NOW)
    kept_before = totals(db, since=horizon)  # what retention keeps (rows start on a step, horizon too)

    result = compact(db, NOW, POLICY, batch_rows=500)

    hour_from = floor_to(NOW - POLICY.full_resolution, Resolution.HOUR)
    day_from = floor_to(NOW - POLICY.hourly, Resolution.DAY)
    with db.transaction() as s:
        spans = {r: s.execute(select(func.min(T.ts_start), func.max(T.ts_start), func.count())
                              .where(T.resolution == r)).one() for r in Resolution}
        assert s.scalar(select(func.min(T.ts_end))) > horizon  # nothing past retention
    assert spans[Resolution.RAW][0] == hour_from  # full resolution for 2 days (whole hours)
    assert spans[Resolution.HOUR][0] == day_from and spans[Resolution.HOUR][1] == hour_from - timedelta(hours=1)
    assert spans[Resolution.HOUR][2] == (hour_from - day_from) / timedelta(hours=1)
    assert spans[Resolution.DAY][1] == day_from - timedelta(days=1)
    assert spans[Resolution.DAY][2] == 14  # days 28..14 ago (the one cut by the horizon went whole)
    assert result.merged["hour"] == (hour_from - first) / step - result.expired
    assert result.devices == 1

    # merging loses nothing but resolution: readings, their sum and the extremes of what is kept
    after = totals(db)
    assert after[0] == kept_before[0] and after[1] == pytest.approx(kept_before[1], rel=1e-12)
    assert after[2:] == kept_before[2:]

    # a day row is the merge of its 96 quarter hours
    with db.transaction() as s:
        day = s.get(T, ("hp-001", Resolution.DAY, day_from - timedelta(days=3)))
    ks = [k for k in range(30 * 96) if floor_to(first + k * step, Resolution.DAY) == day.ts_start]
    means, lows, highs = zip(*(flow(k) for k in ks))
    mean, low, high, n = day.channels["t_flow"]
    assert (len(ks), day.intervals, day.readings, n) == (96, 96, 576, 576)
    assert mean == pytest.approx(sum(means) / 96, rel=1e-12) and (low, high) == (min(lows), max(highs))
    assert day.health == pytest.approx(max((k % 11) / 10 for k in ks))
    assert day.ts_end == day.ts_start + timedelta(days=1) and day.seq is None


def test_compaction_is_idempotent_and_takes_late_intervals_in(devices):
    db = devices
    bulk_raw(db, NOW - timedelta(days=20), 20 * 24 * 4, timedelta(minutes=15))
    compact(db, NOW, POLICY)
    once = table(db)
    again = compact(db, NOW, POLICY)
    assert not again.changed and table(db) == once

    # an agent offline for days sends its backlog: raw rows in an hour and a day already merged
    late_hour = floor_to(NOW - timedelta(days=5), Resolution.HOUR) + timedelta(minutes=7)
    late_day = floor_to(NOW - timedelta(days=17), Resolution.DAY) + timedelta(hours=3, minutes=7)
    with db.transaction() as s:
        before_hour = s.get(T, ("hp-001", Resolution.HOUR, floor_to(late_hour, Resolution.HOUR)))
        before_day = s.get(T, ("hp-001", Resolution.DAY, floor_to(late_day, Resolution.DAY)))
        for seq, t in ((9000, late_hour), (9001, late_day)):
            assert record(s, message(seq, t, n=6), NOW, POLICY.retention).kept
    result = compact(db, NOW, POLICY)
    assert result.merged == {"hour": 2, "day": 1}  # the late day's raw row went through an hour row
    with db.transaction() as s:
        hour = s.get(T, ("hp-001", Resolution.HOUR, floor_to(late_hour, Resolution.HOUR)))
        day = s.get(T, ("hp-001", Resolution.DAY, floor_to(late_day, Resolution.DAY)))
        assert s.scalar(select(func.count()).select_from(T).where(T.resolution == Resolution.RAW,
                                                                   T.ts_start < NOW - timedelta(days=3))) == 0
    for before, after, seq in ((before_hour, hour, 9000), (before_day, day, 9001)):
        assert (after.intervals, after.readings) == (before.intervals + 1, before.readings + 6)
        old_mean, old_low, old_high, old_n = before.channels["t_flow"]
        mean, low, high = flow(seq)
        assert after.channels["t_flow"] == pytest.approx(
            [(old_mean * old_n + mean * 6) / (old_n + 6), min(old_low, low), max(old_high, high), old_n + 6])


def test_series_across_resolutions_after_compaction(devices):
    db = devices
    bulk_raw(db, NOW - timedelta(days=28), 28 * 96, timedelta(minutes=15))
    compact(db, NOW, POLICY)
    with db.transaction() as s:
        month = series(s, "hp-001", ["t_flow"], NOW - timedelta(days=28), NOW, max_points=500)
    assert month.bucket_s == 2 * 3600 and len(month.points) <= 500
    widths = [p.end - p.start for p in month.points]
    assert widths[0] == timedelta(days=1)  # the daily rows: one point each, the store has nothing finer
    assert widths[-2] == timedelta(hours=2)  # recent: two hours of quarter hours (or of hourly rows)
    assert sum(p.channels["t_flow"].n for p in month.points) == totals(db)[0]


def test_workers_compacting_at_once_merge_each_row_once(devices):
    db = devices
    for device in ("hp-001", "hp-002"):
        bulk_raw(db, NOW - timedelta(days=16), 16 * 24 * 4, timedelta(minutes=15), device=device)
    expected = {d: totals_of(db, d) for d in ("hp-001", "hp-002")}
    ingest = Ingest(db, clock=lambda: NOW)
    errors: list[BaseException] = []
    go = threading.Barrier(3)

    def compactor() -> None:
        try:
            go.wait()
            compact(db, NOW, POLICY, batch_rows=97)  # small batches: the workers interleave
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def receiver() -> None:  # ingest goes on meanwhile, for the same devices
        try:
            go.wait()
            for seq in range(20):
                ingest.handle(agent_topic("hp-001", "telemetry"),
                              message(seq, NOW - timedelta(minutes=40 - seq, seconds=7)).to_json())  # off the grid
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=compactor), threading.Thread(target=compactor),
               threading.Thread(target=receiver)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    # twice merged would double the readings; lost would drop them
    assert totals_of(db, "hp-002") == pytest.approx(expected["hp-002"])
    n, total, low, high = totals_of(db, "hp-001")
    new = [flow(seq) for seq in range(20)]
    assert n == expected["hp-001"][0] + 20 * 6
    assert total == pytest.approx(expected["hp-001"][1] + 6 * sum(m for m, _, _ in new))
    assert not compact(db, NOW, POLICY).changed
    assert count(db, Resolution.DAY) == 2 * 2 and count(db, Resolution.HOUR) > 0


def totals_of(db, device: str) -> tuple[int, float, float, float]:
    n, total, low, high = 0, 0.0, math.inf, -math.inf
    with db.transaction() as s:
        for (channels,) in s.execute(select(T.channels).where(T.device_id == device)):
            mean, lo, hi, k = channels["t_flow"]
            n, total, low, high = n + k, total + mean * k, min(low, lo), max(high, hi)
    return n, total, low, high


def test_a_compaction_schedule_runs_until_stopped(devices):
    bulk_raw(devices, NOW - timedelta(days=3), 10, timedelta(minutes=15))
    schedule = CompactionSchedule(devices, POLICY, every=0.05, clock=lambda: NOW, first_after=0.0).start()
    deadline = time.monotonic() + 30
    while schedule.runs < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    schedule.stop()
    assert schedule.runs >= 2 and schedule.failures == 0
    assert count(devices, Resolution.RAW) == 0 and count(devices, Resolution.HOUR) == 3


def test_a_removed_device_takes_its_telemetry_with_it(devices):
    with devices.transaction() as s:
        record(s, message(0, NOW - timedelta(minutes=5)), NOW, POLICY.retention)
        record(s, message(0, NOW - timedelta(minutes=5), device="hp-002"), NOW, POLICY.retention)
    with devices.transaction() as s:
        s.delete(s.get(Device, "hp-001"))
    with devices.transaction() as s:
        assert s.scalars(select(T.device_id)).all() == ["hp-002"]
