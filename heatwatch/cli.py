"""The `heatwatch` command: one entry point; each installed part mounts its own commands.

The core imports nothing above it. Each part names its commands in
pyproject.toml under the entry-point group ``heatwatch.commands`` (a
``typer.Typer`` becomes a command group, a function a single command) with
the extra that brings its dependencies. On a Raspberry Pi with only
``heatwatch[edge]`` installed, ``heatwatch sim ...`` then says which extra to
install instead of failing with an import traceback.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

import typer

COMMAND_GROUP = "heatwatch.commands"

app = typer.Typer(
    help="heatwatch: see heat pumps drifting toward failure and get a technician there first.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _missing_part(name: str, extra: str, reason: str):
    def command(args: list[str] = typer.Argument(None, hidden=True)) -> None:
        typer.echo(f"heatwatch {name}: not installed here ({reason}); "
                   f"install it with: pip install 'heatwatch[{extra}]'", err=True)
        raise typer.Exit(2)

    return command


def _mount(ep: EntryPoint) -> None:
    extra = ep.extras[0] if ep.extras else ep.name
    try:
        target = ep.load()
    except ModuleNotFoundError as exc:
        help_text = f"(needs heatwatch[{extra}], not installed)"
        app.command(ep.name, help=help_text, context_settings={"allow_extra_args": True,
                                                               "ignore_unknown_options": True},
                    )(_missing_part(ep.name, extra, f"no module {exc.name!r}"))
        return
    if isinstance(target, typer.Typer):
        app.add_typer(target, name=ep.name)
    else:
        app.command(ep.name)(target)


for _ep in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
    _mount(_ep)

if __name__ == "__main__":
    app()
