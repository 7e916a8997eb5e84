"""The `heatwatch` command: one entry point; each installed part mounts its own commands.

The core imports nothing above it. Each part names its commands in
pyproject.toml under the entry-point group ``heatwatch.commands`` (a
``typer.Typer`` becomes a command group, a function a single command) with
the extra that brings its dependencies. On a Raspberry Pi with only
``heatwatch[edge]`` installed, ``heatwatch demo`` then says which extra to
install instead of failing with a traceback: before loading a part, the root
checks that every distribution its extra requires is installed (the part may
import some of them only when it needs them), and a part whose module still
fails to import is reported the same way.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import EntryPoint, PackageNotFoundError, entry_points, requires, version

import typer

COMMAND_GROUP = "heatwatch.commands"

app = typer.Typer(
    help="heatwatch: see heat pumps drifting toward failure and get a technician there first.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """Always a group, also when one part is mounted (Typer would make a lone command the root)."""


def _missing_part(name: str, extra: str, reason: str):
    def command(args: list[str] = typer.Argument(None, hidden=True)) -> None:
        typer.echo(f"heatwatch {name}: not installed here ({reason}); "
                   f"install it with: pip install 'heatwatch[{extra}]'", err=True)
        raise typer.Exit(2)

    return command


# "name[extras] specifiers; marker" in heatwatch's metadata (Requires-Dist)
_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?[^;]*(?:;(.*))?")


def _not_installed(extra: str, _seen: frozenset[str] = frozenset()) -> list[str]:
    """The distributions ``heatwatch[extra]`` requires that are not installed here, by name
    (version ranges are pip's business). Nothing when heatwatch's own metadata is absent."""
    try:
        reqs = requires("heatwatch") or []
    except PackageNotFoundError:
        return []
    missing: list[str] = []
    for req in reqs:
        m = _REQUIREMENT.match(req)
        marker = (m.group(3) or "") if m else ""
        if not m or not re.search(rf"""extra\s*==\s*["']{re.escape(extra)}["']""", marker):
            continue
        name, extras = m.group(1), [e.strip() for e in (m.group(2) or "").split(",") if e.strip()]
        if name.lower() == "heatwatch":  # heatwatch[demo] requires heatwatch[edge,sim,gateway]
            missing += [d for e in extras if e not in _seen for d in _not_installed(e, _seen | {extra})]
            continue
        try:
            version(name)
        except PackageNotFoundError:
            missing.append(name)
    return list(dict.fromkeys(missing))


def _mount_missing(name: str, extra: str, reason: str) -> None:
    app.command(name, help=f"(not installed here: needs the {extra} extra)",
                context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
                )(_missing_part(name, extra, reason))


def _mount(ep: EntryPoint) -> None:
    extra = ep.extras[0] if ep.extras else ep.name
    missing = _not_installed(extra)
    if missing:
        _mount_missing(ep.name, extra, "missing " + ", ".join(missing))
        return
    try:
        target = ep.load()
    except ModuleNotFoundError as exc:
        _mount_missing(ep.name, extra, f"no module {exc.name!r}")
        return
    if isinstance(target, typer.Typer):
        app.add_typer(target, name=ep.name)
    else:
        app.command(ep.name)(target)


def _invoked_part(argv: list[str], names: set[str]) -> str | None:
    """The part a command line runs (``heatwatch gateway run ...`` -> gateway): the first word after
    the root's options (which take no values) if it names a part, else None (help, a typo: mount all)."""
    word = next((a for a in argv[1:] if not a.startswith("-")), None)
    return word if word in names else None


# Only the part a command line runs is loaded: each part imports its own stack (the edge's numba kernels,
# the gateway's web stack), and loading all of them cost every `heatwatch ...` process ~2 s of startup
# (an agent's restart, a CLI call, each test that runs the real command) for 0.2-0.6 s of its own.
_PARTS = sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name)
_ONLY = _invoked_part(sys.argv, {ep.name for ep in _PARTS})
for _ep in _PARTS:
    if _ONLY is None or _ep.name == _ONLY:
        _mount(_ep)

if __name__ == "__main__":
    app()
