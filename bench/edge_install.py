"""What a Raspberry Pi running only the agent installs, and what the running agent holds in memory.

    .venv/bin/python bench/edge_install.py [--work DIR] [--baseline REF | --no-baseline]
                                           [--no-agent] [--speed X] [--commissioning-days D]

Run it from the full dev venv (`make test` builds it): the simulator and the private Mosquitto
come from there, the agent from the edge-only venv this script makes. About 3-4 minutes on
2 cores: two venvs installed from the package registries (~45 s each), the CLI checks
(~10 s), the live agent (~1 min at the default speed).

1. Edge-only install: the working tree (copied, so the tree gets no build/ folder) installed
   non-editable into a fresh venv, ``pip install '<copy>[edge]'``. Printed: ``du -sh`` of the
   venv, of the empty venv before the install (python, pip and setuptools: there whatever is
   installed) and of site-packages per distribution (its packages, .libs folder and dist-info
   together), biggest first.
2. The old single dependency list for comparison: the tree at REF (default: the last commit
   before the dependencies were split into extras), from ``git archive``, installed the same way
   with ``pip install <copy>``. Not the old dev venv, which adds pytest and river.
3. The CLI in the edge-only venv: ``heatwatch edge run --help`` and ``heatwatch detect`` work;
   ``heatwatch demo`` says which extra to install and exits 2; ``heatwatch sim run`` runs,
   since [sim] requires nothing [edge] lacks (pyserial, pymodbus). Any other outcome is printed
   as UNEXPECTED and the script exits 1.
4. The agent's memory: ``heatwatch sim run demo --mqtt URL --speed X`` (dev venv) publishes the
   demo fleet to a private Mosquitto on a free port; ``heatwatch edge run --config edge.toml``
   (edge-only venv, MQTT source, pump hp-001, commissioning shortened to D days, default 1:
   the detector also waits for 1500 steady minutes, so it is ready after about a day and a half
   of the pump's time) reads it. VmHWM (peak resident, the kernel's high-water mark) and VmRSS
   (resident now) come from /proc/PID/status once the agent's telemetry shows the fitted model
   scoring (``health`` set), and again one simulated day of judging later.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from edge_bench import _vm  # noqa: E402  (VmHWM / VmRSS of a pid, in MB)

# the last commit with one dependency list (everything for every part), before the extras
BASELINE_REF = "a604c81"
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", "artifacts")


# --------------------------------------------------------------------------- installs and sizes
def du_sh(path: Path) -> str:
    return subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]


def du_mb(*paths: Path) -> float:
    out = subprocess.run(["du", "-skc", *map(str, paths)], capture_output=True, text=True, check=True).stdout
    return int(out.splitlines()[-1].split()[0]) / 1024.0


def make_venv(venv: Path, source: str) -> dict:
    """A fresh venv with ``pip install source``: sizes before and after, and the time pip took."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    empty = du_sh(venv)
    t0 = time.monotonic()
    r = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", source], check=False, capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError(f"pip install {source} failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return {"venv": venv, "empty": empty, "size": du_sh(venv), "size_mb": du_mb(venv),
            "pip_s": time.monotonic() - t0}


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def by_distribution(site: Path) -> list[tuple[str, float, list[str]]]:
    """(distribution, MB, its top-level entries) for each distribution in ``site``, biggest first;
    entries no RECORD names (__pycache__, .pth files) each count on their own."""
    owner: dict[str, str] = {}
    for info in site.glob("*.dist-info"):
        dist = info.name.split("-")[0]
        owner[info.name] = dist
        record = info / "RECORD"
        for line in record.read_text().splitlines() if record.is_file() else []:
            top = line.split(",")[0].split("/")[0]
            if top and top not in ("..", "__pycache__") and (site / top).exists():
                owner.setdefault(top, dist)
    groups: dict[str, list[str]] = {}
    for entry in sorted(os.listdir(site)):
        groups.setdefault(owner.get(entry, entry), []).append(entry)
    rows = [(dist, du_mb(*(site / e for e in entries)), entries) for dist, entries in groups.items()]
    return sorted(rows, key=lambda r: -r[1])


def print_install(title: str, inst: dict, top: int = 12) -> None:
    site = site_packages(inst["venv"])
    print(f"{title}: du -sh {inst['venv']}: {inst['size']} ({inst['size_mb']:.1f} MB; the empty venv "
          f"was {inst['empty']}); site-packages {du_sh(site)}; pip took {inst['pip_s']:.0f} s")
    rows = by_distribution(site)
    for dist, mb, entries in rows[:top]:
        print(f"  {mb:7.1f} MB  {dist:<22} {' '.join(entries)}")
    rest = rows[top:]
    if rest:
        print(f"  {sum(r[1] for r in rest):7.1f} MB  {len(rest)} more: {', '.join(r[0] for r in rest)}")


# --------------------------------------------------------------------------- the CLI on an edge-only install
def check_cli(bin_dir: Path, work: Path) -> list[str]:
    """Run each command in the edge-only venv; returns the unexpected outcomes."""
    csv = work / "detect.csv"
    csv.write_text("timestamp,a,b\n" + "".join(f"2025-01-01T00:{i // 60:02d}:{i % 60:02d},{(i * 7919) % 13 / 13:.3f},"
                                               f"{(i * 104729) % 17 / 17:.3f}\n" for i in range(600)))
    checks = [  # (args, expected exit code, text expected in the output)
        (["--help"], 0, "edge"),
        (["edge", "run", "--help"], 0, "--config"),
        (["detect", str(csv), "--out", str(work / "scores.csv")], 0, "600 rows"),
        (["demo"], 2, "pip install 'heatwatch[demo]'"),
        (["sim", "run", "demo", "--mqtt", "mqtt://127.0.0.1:1"], 1, "cannot reach broker"),  # runs, no broker there
    ]
    unexpected = []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for args, code, text in checks:
        r = subprocess.run([str(bin_dir / "heatwatch"), *args], check=False, capture_output=True, text=True, cwd=work,
                           env=env, timeout=60)
        out = r.stdout + r.stderr
        ok = r.returncode == code and text in out and "Traceback" not in out
        first = next((line.strip() for line in (r.stderr or r.stdout).splitlines() if line.strip()), "")
        shown = " ".join(a if a != str(csv) else "detect.csv" for a in args).replace(str(work / "scores.csv"), "s.csv")
        print(f"  heatwatch {shown}: exit {r.returncode}{'' if ok else '  UNEXPECTED'}; {first[:150]}")
        if not ok:
            unexpected.append(f"heatwatch {shown}: exit {r.returncode}, wanted {code} and {text!r}:\n{out[-1500:]}")
    return unexpected


# --------------------------------------------------------------------------- the running agent's memory
def live_agent(edge_bin: Path, dev_bin: Path, speed: float, commissioning_days: float, work: Path,
               device: str = "hp-001", wall_limit: float = 600.0) -> dict:
    import paho.mqtt.client as mqtt

    from heatwatch.contract import agent_topic
    from heatwatch.demo.services import Mosquitto, terminate

    broker = Mosquitto().start()
    seen = {"readings": 0, "ready_at": None, "online": False}
    lock = threading.Lock()

    def on_message(client, userdata, msg):  # noqa: ANN001
        body = json.loads(msg.payload)
        with lock:
            if msg.topic.endswith("/status"):  # every second: status_interval = 1 below
                seen["online"] = seen["online"] or bool(body.get("online"))
                agent = (body.get("counters") or {}).get("agent", {})
                seen["readings"] = max(seen["readings"], int(agent.get("readings", 0)))
                if seen["ready_at"] is None and agent.get("ready"):
                    seen["ready_at"] = seen["readings"]

    watcher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"edge-install-{os.getpid()}")
    watcher.on_message = on_message
    watcher.on_connect = lambda c, *a: c.subscribe(agent_topic(device, "status"), qos=1)
    procs: list[subprocess.Popen] = []
    logs = []
    out: dict = {}
    try:
        watcher.connect("127.0.0.1", broker.port)
        watcher.loop_start()
        cfg = work / "edge.toml"
        cfg.write_text(f'[device]\nid = "{device}"\n\n[source]\nkind = "mqtt"\nurl = "{broker.url}"\n\n'
                       f'[broker]\nurl = "{broker.url}"\nstatus_interval = 1\n\n'
                       f'[outbox]\npath = "{work / "outbox.db"}"\n\n'
                       f'[detector]\ncommissioning_days = {commissioning_days:g}\n'
                       f'state_path = "{work / "detector.json"}"\n')
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        logs.append(open(work / "agent.log", "w"))
        agent = subprocess.Popen([str(edge_bin / "heatwatch"), "edge", "run", "--config", str(cfg),
                                  "--log-level", "WARNING"], stdout=logs[-1], stderr=subprocess.STDOUT,
                                 cwd=work, env=env)
        procs.append(agent)
        deadline = time.monotonic() + 30
        while not seen["online"] and time.monotonic() < deadline and agent.poll() is None:
            time.sleep(0.1)
        if not seen["online"]:
            raise RuntimeError(f"agent did not come online (log {work / 'agent.log'})")
        time.sleep(1.5)  # the source subscribes after the publisher is up
        logs.append(open(work / "sim.log", "w"))
        sim_args = ["sim", "run", "demo", "--mqtt", broker.url, "--speed", f"{speed:g}"]
        sim = subprocess.Popen([str(dev_bin / "heatwatch"), *sim_args], stdout=logs[-1],
                               stderr=subprocess.STDOUT, cwd=work, env=env)
        procs.append(sim)
        out["sim_cmd"] = f"{dev_bin / 'heatwatch'} {' '.join(sim_args)}"
        out["agent_cmd"] = f"{edge_bin / 'heatwatch'} edge run --config edge.toml"
        t0 = time.monotonic()
        while time.monotonic() - t0 < wall_limit:
            time.sleep(0.2)
            if agent.poll() is not None:
                raise RuntimeError(f"agent exited with {agent.returncode} (log {work / 'agent.log'})")
            with lock:
                n, ready_at = seen["readings"], seen["ready_at"]
            if ready_at is not None and "ready" not in out:
                out["ready"] = {"readings": n, **_vm(agent.pid)}
            if ready_at is not None and n >= ready_at + 1440:  # a day of readings judged
                out["judged"] = {"readings": n, **_vm(agent.pid)}
                break
            if sim.poll() is not None:
                time.sleep(3.0)
                out["end"] = {"readings": seen["readings"], **_vm(agent.pid)}
                break
        out["wall_s"] = time.monotonic() - t0
    finally:
        for p in reversed(procs):
            terminate(p, timeout=15)
        watcher.loop_stop()
        watcher.disconnect()
        broker.stop()
        shutil.rmtree(broker.workdir, ignore_errors=True)
        for f in logs:
            f.close()
    return out


# --------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, help="where the venvs go (default: a new temp dir, removed at the end)")
    ap.add_argument("--baseline", default=BASELINE_REF, help="git ref of the single-list tree to compare with")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-agent", action="store_true", help="skip part 4")
    ap.add_argument("--speed", type=float, default=3600.0, help="part 4: simulated seconds per wall second")
    ap.add_argument("--commissioning-days", type=float, default=1.0, help="part 4: the agent's commissioning_days")
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="hw-edge-install-"))
    work.mkdir(parents=True, exist_ok=True)
    t_start = time.monotonic()
    unexpected: list[str] = []
    try:
        src = work / "src-edge"
        shutil.rmtree(src, ignore_errors=True)
        shutil.copytree(REPO, src, ignore=COPY_IGNORE, symlinks=True)
        edge = make_venv(work / "edge-venv", f"{src}[edge]")
        print_install("[1] edge-only: pip install '<a copy of this tree>[edge]'", edge)

        if not args.no_baseline:
            base_src = work / "src-baseline"
            shutil.rmtree(base_src, ignore_errors=True)
            base_src.mkdir()
            tar = subprocess.run(["git", "-C", str(REPO), "archive", args.baseline], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(base_src)], input=tar.stdout, check=True)
            base = make_venv(work / "baseline-venv", str(base_src))
            print_install(f"[2] one dependency list: pip install '<tree at {args.baseline}>'", base)
            print(f"    the edge-only venv is {base['size_mb'] - edge['size_mb']:.1f} MB smaller "
                  f"({edge['size_mb']:.1f} MB vs {base['size_mb']:.1f} MB)")

        print("[3] the CLI in the edge-only venv")
        unexpected = check_cli(edge["venv"] / "bin", work)

        if not args.no_agent:
            r = live_agent(edge["venv"] / "bin", Path(sys.executable).parent, args.speed,
                           args.commissioning_days, work)
            print(f"[4] running agent (edge-only venv), MQTT source, commissioning_days = "
                  f"{args.commissioning_days:g}:\n    agent: {r['agent_cmd']}\n    sim:   {r['sim_cmd']}")
            for key, what in (("ready", "commissioning passed"), ("judged", "a day of readings later"),
                              ("end", "the simulator ended")):
                if key in r:
                    v = r[key]
                    print(f"    {what:<28} readings {v['readings']:>6}   VmHWM {v['VmHWM']:6.1f} MB"
                          f"   VmRSS {v['VmRSS']:6.1f} MB")
            if "ready" not in r:
                unexpected.append("the agent's model never scored (commissioning did not end)")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"total {time.monotonic() - t_start:.0f} s")
    for u in unexpected:
        print(f"UNEXPECTED: {u}", file=sys.stderr)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
