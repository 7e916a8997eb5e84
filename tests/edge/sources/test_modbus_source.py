"""Modbus RTU transport over real pseudo-terminals: the simulator's slave, the edge source,
and a noisy, breakable cable between them."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from pymodbus.client import ModbusSerialClient

from heatwatch.channels import CHANNEL_NAMES, INDEX
from heatwatch.backoff import Backoff
from heatwatch.edge.sources.base import SourceFatalError, SourceRetryableError
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.edge.sources.modbus_source import ModbusSource, check_reply
from heatwatch.registers import RegisterMap
from tests.support.modbus import RMAP, NoisyLine, ServerThread, healthy_row, quantized


@pytest.fixture
def noisy_line(pty_pair, tmp_path):
    line = NoisyLine(pty_pair.b, tmp_path).start()
    yield line
    line.stop()


def test_pymodbus_client_reads_the_quantized_values_over_a_pty(pty_pair):
    row = healthy_row()
    with ServerThread(pty_pair.a, ["hp-1"]) as srv:
        srv.set_row(row[None, :])
        client = ModbusSerialClient(pty_pair.b, baudrate=9600, timeout=1, retries=1)
        assert client.connect()
        try:
            reply = client.read_holding_registers(RMAP.start, count=RMAP.count, device_id=1)
        finally:
            client.close()
    assert not reply.isError()
    decoded = RMAP.decode(reply.registers)
    got = np.array([decoded[n] for n in CHANNEL_NAMES])
    np.testing.assert_allclose(got, quantized(row))
    assert got[INDEX["t_flow"]] == pytest.approx(35.3) and got[INDEX["p_high"]] == pytest.approx(23.46)
    assert srv.server.counters["requests"] == 1


def test_several_pumps_share_one_line_and_a_missing_slave_stays_silent(pty_pair):
    rows = np.stack([healthy_row(k) for k in range(3)])
    rows[2, INDEX["t_dhw"]] = np.nan  # a missing sensor is served as the sentinel
    with ServerThread(pty_pair.a, ["hp-a", "hp-b", "hp-c"]) as srv:
        srv.set_row(rows)
        client = ModbusSerialClient(pty_pair.b, baudrate=9600, timeout=0.3, retries=0)
        assert client.connect()
        try:
            replies = {sid: client.read_holding_registers(RMAP.start, count=RMAP.count, device_id=sid) for sid in (1, 2, 3)}
            with pytest.raises(Exception, match="No response"):
                client.read_holding_registers(RMAP.start, count=RMAP.count, device_id=9)
        finally:
            client.close()
        assert srv.server.requests_by_slave == {1: 1, 2: 1, 3: 1}
    for sid, reply in replies.items():
        decoded = RMAP.decode(reply.registers)
        assert decoded["t_flow"] == pytest.approx(quantized(rows[sid - 1])[INDEX["t_flow"]])
    assert math.isnan(RMAP.decode(replies[3].registers)["t_dhw"])
    assert RMAP.decode(replies[1].registers)["t_dhw"] == pytest.approx(48.0)


def test_modbus_source_readings_follow_the_served_rows(pty_pair):
    with ServerThread(pty_pair.a, ["hp-1", "hp-2"]) as srv:
        first = np.stack([healthy_row(0.0), healthy_row(5.0)])
        first[1, INDEX["t_discharge"]] = 400.0  # a broken sensor: implausible, not a crash
        srv.set_row(first)
        source = ModbusSource("hp-2", pty_pair.b, slave_id=2, poll_interval=0.0, timeout=0.5)
        with source:
            r1 = source.read()
            second = first.copy()
            second[1, INDEX["t_flow"]] = 44.44
            srv.set_row(second)
            r2 = source.read()
    assert r1 is not None and r2 is not None and r1.device == "hp-2"
    np.testing.assert_allclose(r1.values, quantized(first[1]))  # as the pump said: judged downstream, once
    assert r2.get("t_flow") == pytest.approx(44.4)
    assert source.counters["reads_ok"] == 2
    assert source.counters["crc_errors"] == 0 and source.counters["garbage_bytes"] == 0
    # the broken sensor's 400 degC is a gap to the pipeline, counted there
    pipe = PumpPipeline(device="hp-2")
    results = [pipe.process(r.ts + k, r.values)[0] for k, r in enumerate((r1, r2))]
    assert all(math.isnan(res.values[INDEX["t_discharge"]]) for res in results)
    assert pipe.detector.plausibility.counters == {"out_of_range[t_discharge]": 2}


def test_poll_interval_paces_reads(pty_pair):
    with ServerThread(pty_pair.a, ["hp-1"]) as srv:
        srv.set_row(healthy_row()[None, :])
        with ModbusSource("hp-1", pty_pair.b, poll_interval=0.25, timeout=0.5) as source:
            t0 = time.monotonic()
            readings = [source.read() for _ in range(4)]
            elapsed = time.monotonic() - t0
    assert all(r is not None for r in readings)
    assert 0.7 <= elapsed < 1.5  # three waits of 0.25 s after the first, immediate poll


def test_crc_errors_and_garbage_are_counted_and_the_source_keeps_going(pty_pair, noisy_line):
    row = healthy_row()
    with ServerThread(pty_pair.a, ["hp-1"]) as srv:
        srv.set_row(row[None, :])
        # the timeout leaves a loaded machine's server thread room to answer: only the corrupted
        # replies should cost one
        source = ModbusSource("hp-1", noisy_line.agent_link, poll_interval=0.0, timeout=0.5, retries=2)
        readings = []
        with source:
            readings.append(source.read())
            noisy_line.corrupt_next = 3  # three replies with a flipped byte
            for _ in range(3):
                readings.append(source.read())
            noisy_line.noise_before_next = 2  # stray bytes in front of two replies
            for _ in range(2):
                readings.append(source.read())
            noisy_line.noise(b"\x00\xff\x13\x37\x42\x99\x01")  # noise on the idle line
            time.sleep(0.1)
            for _ in range(2):
                readings.append(source.read())
    good = [r for r in readings if r is not None]
    c = source.counters
    assert c["crc_errors"] == 3
    assert c["garbage_bytes"] >= 2 * 5 + 7
    assert c["timeouts"] >= 3  # each corrupted reply costs one timeout, then a retry
    assert len(good) >= 7 and c["reads_ok"] == len(good)
    assert readings[-1] is not None  # still reading after all of it
    for r in good:  # and never a wrong value: corrupted frames are dropped, not decoded
        np.testing.assert_allclose(r.values, quantized(row))


def test_line_cut_and_restored_reconnects_with_backoff(pty_pair, noisy_line):
    with ServerThread(pty_pair.a, ["hp-1"]) as srv:
        srv.set_row(healthy_row()[None, :])
        source = ModbusSource(
            "hp-1", noisy_line.agent_link, poll_interval=0.0, timeout=0.15, retries=0, reopen_after=2,
            backoff=Backoff(initial=0.1, factor=2.0, maximum=1.0),
        )
        with source:
            assert source.read() is not None
            noisy_line.unplug()
            errors, delays, last = [], [], time.monotonic()
            for _ in range(5):
                try:
                    source.read()
                except SourceRetryableError as exc:
                    now = time.monotonic()
                    errors.append(str(exc))
                    delays.append(now - last)
                    last = now
            noisy_line.plug()
            reading = None
            deadline = time.monotonic() + 10
            while reading is None and time.monotonic() < deadline:
                try:
                    reading = source.read()
                except SourceRetryableError:
                    pass
    assert reading is not None and reading.get("mode") == 1.0
    c = source.counters
    assert c["line_lost"] >= 1 and c["reconnect_failures"] >= 3 and c["reconnects"] == 1
    assert any("reopening in" in e for e in errors)
    assert delays[-1] > delays[1] * 1.5  # the waits grow: exponential backoff
    assert source.backoff.failures == 0  # and reset once reading again


def test_wrong_register_map_is_fatal(pty_pair, tmp_path):
    other = tmp_path / "other_model.csv"
    other.write_text("address,channel,unit,scale,signed,sentinel\n300,t_flow,C,0.1,1,-32768\n301,t_return,C,0.1,1,-32768\n")
    with ServerThread(pty_pair.a, ["hp-1"]) as srv:
        srv.set_row(healthy_row()[None, :])
        with ModbusSource("hp-1", pty_pair.b, register_map=RegisterMap.load(other), poll_interval=0, timeout=0.5) as source:
            with pytest.raises(SourceFatalError, match="illegal data address.*wrong register map"):
                source.read()


def test_check_reply_finds_the_frame_among_garbage():
    from pymodbus.framer.rtu import FramerRTU

    body = bytes([1, 3, 4, 0, 10, 0, 20])
    frame = body + FramerRTU.compute_CRC(body).to_bytes(2, "big")
    assert check_reply(frame, 1, 3, 2).frame_ok
    noisy = b"\x07\x99" + frame + b"\x00"
    check = check_reply(noisy, 1, 3, 2)
    assert check.frame_ok and check.garbage_bytes == 3 and not check.crc_error
    broken = bytearray(frame)
    broken[4] ^= 0xFF
    check = check_reply(bytes(broken), 1, 3, 2)
    assert not check.frame_ok and check.crc_error and check.garbage_bytes == 0
    assert check_reply(frame, 2, 3, 2).garbage_bytes == len(frame)  # another slave's reply is not ours


def test_pumps_sharing_one_line_poll_independently_and_a_dead_slave_does_not_stall_them(pty_pair):
    import threading

    from heatwatch.edge.sources.modbus_source import ModbusLine

    line = ModbusLine(pty_pair.b)
    rows = np.stack([healthy_row(0.0), healthy_row(2.0)])
    sources = [ModbusSource(f"hp-{sid}", pty_pair.b, slave_id=sid, line=line, poll_interval=0.2, timeout=0.3,
                            retries=1, reopen_after=2) for sid in (1, 2, 7)]  # slave 7: nobody answers
    got: dict[str, list] = {s.device: [] for s in sources}
    stop = threading.Event()

    def poll(source: ModbusSource) -> None:
        with source:
            while not stop.is_set():
                got[source.device].append(source.read())

    with ServerThread(pty_pair.a, ["hp-1", "hp-2"]) as srv:
        srv.set_row(rows)
        threads = [threading.Thread(target=poll, args=(s,)) for s in sources]
        for t in threads:
            t.start()
        # ~20 polls each in 4 s on a quiet machine; a loaded one gets up to 30 s to reach 12 each
        deadline = time.monotonic() + 30.0
        time.sleep(4.0)
        while time.monotonic() < deadline and min(sum(r is not None for r in got[d]) for d in ("hp-1", "hp-2")) < 12:
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(5)
    assert line.client is None and not line.users  # closed when the last pump left
    ok = {d: [r for r in rs if r is not None] for d, rs in got.items()}
    # the dead slave's timeouts do not stall the others
    assert len(ok["hp-1"]) >= 12 and len(ok["hp-2"]) >= 12, {d: len(v) for d, v in ok.items()}
    assert ok["hp-1"][0].get("t_flow") == pytest.approx(35.3) and ok["hp-2"][0].get("t_flow") == pytest.approx(37.3)
    dead = sources[2].counters
    assert not ok["hp-7"] and dead["timeouts"] >= 2 and dead["slave_silent"] >= 1
    assert dead["timeouts"] <= 10  # backed off: not polled at the others' pace
    assert all(s.counters["line_lost"] == 0 and s.counters["crc_errors"] == 0 for s in sources)
