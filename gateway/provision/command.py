"""`heatwatch provision DEVICE --site SITE`: a device in the registry, its broker credentials and
ACL, and the Pi's edge.toml. `--rotate` gives an existing device new credentials (a replaced Pi);
`--gateway-user NAME` makes the gateway's own broker user instead.

The password is shown nowhere: it is in the written edge.toml (or, for the gateway, broker.toml),
mode 0600, and the broker gets only its hash. Exit 2: wrong settings, arguments or files, with
one line saying which; exit 3: the database cannot be reached (or is not migrated).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import typer

from heatwatch.gateway.settings import SettingsError, load_settings

# heatwatch.contract's, kept here so that mounting the command imports neither pydantic nor numpy
# (every `heatwatch` command would pay for it); a test keeps the two the same
DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class _Refused(Exception):
    """One line for the operator, exit 2."""


@dataclass
class _Written:
    path: Path
    what: str


def provision(
    device: str | None = typer.Argument(None, help="the device id: its topics heatwatch/v1/<id>/... and its broker user",
                                        metavar="DEVICE_ID", show_default=False),
    site: int | None = typer.Option(None, "--site", help="the site the pump stands at (its id)"),
    model: str = typer.Option("", "--model", help="the pump's make and model"),
    refrigerant: str = typer.Option("R32", "--refrigerant", help="R32 or R290"),
    emitters: str | None = typer.Option(None, "--emitters", help="the house's heat emitters: underfloor, "
                                        "radiators or fan_coils (its fleet prior is of pumps with the same)"),
    register_map: str = typer.Option("heatwatch_generic", "--register-map", help="the pump model's register map"),
    nickname: str = typer.Option("", "--nickname", help="what the customer calls the pump"),
    install_date: str | None = typer.Option(None, "--install-date", help="YYYY-MM-DD"),
    rotate: bool = typer.Option(False, "--rotate", help="new credentials for a provisioned device (or the "
                                "gateway user); its record stays as it is"),
    gateway_user: str | None = typer.Option(None, "--gateway-user", metavar="NAME",
                                            help="make the gateway's own broker user instead of a device"),
    broker_url: str | None = typer.Option(None, "--broker-url", help="the broker as the Pi reaches it "
                                          "(default: the url in gateway.toml)"),
    out: str | None = typer.Option(None, "--out", help="where to write the files (default: ./<name>)"),
    passwd_file: str | None = typer.Option(None, "--passwd-file", help="also put the password line into this "
                                            "broker password file (replacing the user's on --rotate)"),
    acl_file: str | None = typer.Option(None, "--acl-file", help="also put the ACL block into this broker ACL file"),
    config: str | None = typer.Option(None, "--config", "-c", help="gateway.toml"),
) -> None:
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        _fail(f"config error: {exc}")
    out_dir, passwd_path, acl_path = (Path(p) if p else None for p in (out, passwd_file, acl_file))
    try:
        if gateway_user is not None:
            if device is not None:
                raise _Refused("give a device id or --gateway-user, not both")
            written, summary = _gateway_user(gateway_user, settings, out_dir, rotate, passwd_path, acl_path)
        else:
            if device is None:
                raise _Refused("missing DEVICE_ID (or --gateway-user NAME for the gateway's own broker user)")
            spec_args = {"site": site, "model": model, "refrigerant": refrigerant, "emitters": emitters,
                         "register_map": register_map,
                         "nickname": nickname, "install_date": install_date}
            written, summary = _device(device, spec_args, settings, broker_url, out_dir, rotate, passwd_path,
                                       acl_path)
    except _Refused as exc:
        _fail(f"error: {exc}")
    typer.echo(summary[0])
    for item in written:
        typer.echo(f"  wrote {item.path}  {item.what}")
    for line in summary[1:]:
        typer.echo(line)


def _fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _check_name(name: str, what: str) -> None:
    # fullmatch: "$" alone would let a trailing newline through, and with it a line of the operator's
    # choosing into the broker's password and ACL files
    if not DEVICE_ID.fullmatch(name):
        raise _Refused(f"{what} {name!r}: letters, digits, '_', '.', '-' only, starting with a letter or digit, "
                       "at most 64")


def _device(device: str, spec_args: dict, settings, broker_url: str | None, out: Path | None, rotate: bool,
            passwd_file: Path | None, acl_file: Path | None) -> tuple[list[_Written], list[str]]:
    from sqlalchemy.exc import SQLAlchemyError

    from heatwatch.gateway.db import Database
    from heatwatch.gateway.provision.edge_config import edge_toml, is_loopback
    from heatwatch.gateway.provision.mosquitto_files import BrokerFileError, device_acl, new_password, password_line
    from heatwatch.gateway.provision.registry import ProvisionError, device_to_rotate, register_device

    _check_name(device, "device id")
    if settings.broker.username and device == settings.broker.username:
        raise _Refused(f"device id {device!r} is the gateway's own broker user (gateway.toml [broker] username)")
    spec = None if rotate else _spec(device, spec_args)
    if rotate:
        given = [f"--{k.replace('_', '-')}" for k, v in spec_args.items() if v not in (None, "", _DEFAULTS.get(k))]
        if given:
            raise _Refused(f"--rotate changes only the credentials; it takes no {', '.join(given)}")
    broker = _edge_broker(broker_url, settings)
    out = out or Path(device)
    password = new_password()
    db = Database.from_settings(settings.database)
    try:
        with db.transaction() as session:
            row = device_to_rotate(session, device) if rotate else register_device(session, spec)
            refrigerant, register_map, site_id = row.refrigerant, row.register_map, row.site_id
            emitters = row.emitters or "emitters not known"
            written = _write(out, [
                ("mosquitto.passwd", password_line(device, password) + "\n", 0o600,
                 "its line for the broker's password file (a hash; the password itself is only in edge.toml)"),
                ("mosquitto.acl", device_acl(device), 0o644,
                 (f"its ACL block: may write heatwatch/v1/{device}/{{telemetry,event,status,ack}}, "
                  f"read heatwatch/v1/{device}/command, nothing else")),
                ("edge.toml", edge_toml(device, refrigerant=refrigerant, register_map=register_map, broker=broker,
                                        password=password), 0o600,
                 "the Pi's config, with the device's password ([broker] password): copy it to the Pi"),
            ])
            applied = _apply(out, written, passwd_file, acl_file, replace=rotate)
    except (ProvisionError, BrokerFileError) as exc:
        raise _Refused(str(exc)) from None
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        _fail(f"database error: {first} (is the schema migrated? heatwatch gateway migrate)", 3)
    finally:
        db.close()
    head = (f"device {device}: new credentials (its record is kept)" if rotate
            else f"device {device} registered at site {site_id} ({refrigerant}, {emitters}, "
                 f"register map {register_map})")
    steps = _next_steps(out, passwd_file, acl_file, applied, rotate, device,
                        "on the Pi: install -m 600 edge.toml /etc/heatwatch/edge.toml, then (re)start heatwatch-edge")
    if is_loopback(broker.url):
        steps.append(f"warning: the broker URL {broker.url} means the gateway's own machine; if the Pi is "
                     "elsewhere, run again with --rotate --broker-url mqtts://<broker>:8883")
    return written, [head, *steps]


_DEFAULTS = {"refrigerant": "R32", "register_map": "heatwatch_generic"}


def _spec(device: str, a: dict):
    from heatwatch.fleet_prior import EMITTERS
    from heatwatch.gateway.provision.registry import DeviceSpec
    from heatwatch.refrigerant import REFRIGERANTS
    from heatwatch.registers import MAPS_DIR

    if a["site"] is None:
        raise _Refused("--site is required for a new device (the id of the site the pump stands at)")
    if a["refrigerant"] not in REFRIGERANTS:
        raise _Refused(f"--refrigerant {a['refrigerant']!r}: one of {', '.join(REFRIGERANTS)}")
    if a["emitters"] is not None and a["emitters"] not in EMITTERS:
        raise _Refused(f"--emitters {a['emitters']!r}: one of {', '.join(EMITTERS)} (leave it out if not known)")
    maps = sorted(p.stem for p in MAPS_DIR.glob("*.csv"))
    if a["register_map"] not in maps:
        raise _Refused(f"--register-map {a['register_map']!r}: one of the maps the agent ships with: {', '.join(maps)}")
    installed = None
    if a["install_date"] is not None:
        try:
            installed = date.fromisoformat(a["install_date"])
        except ValueError:
            raise _Refused(f"--install-date {a['install_date']!r}: expected YYYY-MM-DD") from None
    for key in ("model", "nickname"):
        if len(a[key]) > 100 or any(not ch.isprintable() for ch in a[key]):
            raise _Refused(f"--{key}: at most 100 printable characters")
    return DeviceSpec(id=device, site_id=a["site"], model=a["model"], refrigerant=a["refrigerant"],
                      emitters=a["emitters"], register_map=a["register_map"], nickname=a["nickname"],
                      install_date=installed)


def _edge_broker(broker_url: str | None, settings):
    from urllib.parse import urlparse

    from heatwatch.gateway.provision.edge_config import EdgeBroker
    from heatwatch.mqtt import BrokerLink, BrokerUrlError

    url = broker_url or settings.broker.url
    try:
        BrokerLink.from_url(url)
    except BrokerUrlError as exc:
        raise _Refused(f"--broker-url: {exc}") from None
    if urlparse(url).username or urlparse(url).password:
        raise _Refused(f"--broker-url {url!r}: no credentials in it (the device's own go into edge.toml)")
    return EdgeBroker(url=url, tls=settings.broker.tls if broker_url is None else False)


def _gateway_user(name: str, settings, out: Path | None, rotate: bool, passwd_file: Path | None,
                  acl_file: Path | None) -> tuple[list[_Written], list[str]]:
    import json

    from heatwatch.gateway.provision.mosquitto_files import BrokerFileError, gateway_acl, new_password, password_line

    _check_name(name, "gateway user")
    out = out or Path(name)
    password = new_password()
    written = _write(out, [
        ("mosquitto.passwd", password_line(name, password) + "\n", 0o600,
         "its line for the broker's password file (a hash; the password itself is only in broker.toml)"),
        ("mosquitto.acl", gateway_acl(name), 0o644,
         "its ACL block: may read heatwatch/v1/+/{telemetry,event,status,ack}, write heatwatch/v1/+/command"),
        ("broker.toml", (f"# gateway.toml's [broker] credentials, written by `heatwatch provision --gateway-user`\n"
                         f"[broker]\nusername = {json.dumps(name)}\npassword = {json.dumps(password)}\n"), 0o600,
         "the user and its password for gateway.toml's [broker] section"),
    ])
    try:
        applied = _apply(out, written, passwd_file, acl_file, replace=rotate)
    except BrokerFileError as exc:
        raise _Refused(str(exc)) from None
    steps = _next_steps(out, passwd_file, acl_file, applied, rotate, name,
                        f"copy username and password from {out / 'broker.toml'} into gateway.toml's [broker] "
                        "section (every worker uses them), then restart the gateway")
    if settings.broker.username and settings.broker.username != name:
        steps.append(f"note: gateway.toml's [broker] username is {settings.broker.username!r}, not {name!r}")
    return written, [f"gateway broker user {name}: {'new credentials' if rotate else 'made'}", *steps]


def _write(out: Path, files: list[tuple[str, str, int, str]]) -> list[_Written]:
    """The files in ``out`` (made 0700: one holds a password), each with its mode from the start."""
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        written = []
        for name, text, mode, what in files:
            path = out / name
            path.unlink(missing_ok=True)  # a new file gets ``mode`` at creation, never a moment of more
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            written.append(_Written(path, what))
        return written
    except OSError as exc:
        raise _Refused(f"cannot write to {out}: {exc.strerror or exc}") from None


def _apply(out: Path, written: list[_Written], passwd_file: Path | None, acl_file: Path | None, *,
           replace: bool) -> dict[str, str]:
    """Merge the lines into the broker's files: the ACL block first (alone it lets nobody in, and
    merging it again changes nothing), the password last. If the password file refuses its line,
    the written files go again: no credentials are left that no broker knows."""
    from heatwatch.gateway.provision.mosquitto_files import BrokerFileError, merge_acl_block, merge_password_line

    applied = {}
    try:
        if acl_file is not None:
            applied["acl"] = merge_acl_block(acl_file, (out / "mosquitto.acl").read_text(encoding="utf-8"))
        if passwd_file is not None:
            line = (out / "mosquitto.passwd").read_text(encoding="utf-8").strip()
            applied["passwd"] = merge_password_line(passwd_file, line, replace=replace)
    except BrokerFileError:
        if "passwd" not in applied:
            for item in written:
                item.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                out.rmdir()  # only if it is empty: made by this run
        raise
    return applied


def _next_steps(out: Path, passwd_file: Path | None, acl_file: Path | None, applied: dict[str, str], rotate: bool,
                user: str, last: str) -> list[str]:
    steps = ["next:"]
    todo = []
    if passwd_file is not None:
        steps.append(f"  done: {passwd_file}: password line {applied['passwd']}")
    elif rotate:
        todo.append(f"replace {user}'s line in the broker's password file with {out / 'mosquitto.passwd'} "
                    "(or run with --passwd-file FILE to do it)")
    else:
        todo.append(f"cat {out / 'mosquitto.passwd'} >> /etc/mosquitto/passwd   (or --passwd-file FILE)")
    if acl_file is not None:
        steps.append(f"  done: {acl_file}: ACL block {applied['acl']}")
    elif not rotate:
        todo.append(f"cat {out / 'mosquitto.acl'} >> /etc/mosquitto/acl   (or --acl-file FILE)")
    todo.append("reload Mosquitto so it reads both files: systemctl reload mosquitto (it sends SIGHUP)")
    todo.append(last)
    steps += [f"  {i}. {t}" for i, t in enumerate(todo, 1)]
    return steps
