"""`heatwatch gateway user add NAME --role ROLE [--customer ID]`: a user and their first API token.

The token is printed once, alone on stdout (``TOKEN=$(heatwatch gateway user add ...)``); what
was made goes to stderr. Only its hash is kept, so a lost token is replaced, not recovered.
Exit 2: wrong settings or arguments; exit 3: the database cannot be reached (or is not
migrated: ``heatwatch gateway migrate``).
"""

from __future__ import annotations

from enum import StrEnum

import typer

from heatwatch.gateway.settings import SettingsError, load_settings


# users.models.Role's values, named here so that mounting the command imports no SQLAlchemy
# (every `heatwatch` command would pay for it); a test keeps the two the same
class RoleName(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    TECHNICIAN = "technician"
    CUSTOMER = "customer"


app = typer.Typer(no_args_is_help=True, help="API users and their tokens.")


@app.command("add")
def add(
    name: str = typer.Argument(..., help="the person's (or system's) name"),
    role: RoleName = typer.Option(..., "--role", "-r", help="admin, dispatcher, technician or customer"),
    customer: int | None = typer.Option(None, "--customer", help="the customer a customer user belongs to"),
    email: str | None = typer.Option(None, "--email"),
    label: str = typer.Option("", "--label", help="what the token is for (shown in token lists)"),
    config: str | None = typer.Option(None, "--config", "-c", help="gateway.toml"),
) -> None:
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        typer.echo(f"config error: {exc}", err=True)
        raise typer.Exit(2) from None
    from sqlalchemy.exc import SQLAlchemyError

    from heatwatch.gateway.db import Database
    from heatwatch.gateway.users.models import Role
    from heatwatch.gateway.users.service import UserError, add_user

    db = Database.from_settings(settings.database)
    try:
        with db.transaction() as session:
            user, issued = add_user(session, name, Role(role.value), customer_id=customer, email=email,
                                    token_label=label)
            user_id = user.id
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        typer.echo(f"database error: {first} (is the schema migrated? heatwatch gateway migrate)", err=True)
        raise typer.Exit(3) from None
    finally:
        db.close()
    typer.echo(f"user {user_id} {name!r} ({role.value}{f', customer {customer}' if customer else ''}); "
               "its token follows, shown this once:", err=True)
    typer.echo(issued.token)
