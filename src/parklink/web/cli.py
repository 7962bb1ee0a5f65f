"""CLI commands of the web layer: ``parklink serve`` and ``parklink users add|list``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from parklink.console import bi, console, err_console, user_errors

DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", "-d", help="数据库 SQLAlchemy URL (default: PARKLINK_DATABASE_URL or the SQLite file in the data dir)."),
]


def _first_admin_hint(database: str | None) -> None:
    from parklink.store.db import session_scope
    from parklink.web.accounts import count_office_users
    from parklink.web.app import FIRST_ADMIN_HINT

    with session_scope(database) as session:
        if count_office_users(session) == 0:
            err_console.print(f"[yellow]{FIRST_ADMIN_HINT}[/]", highlight=False)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (监听地址).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port (端口).")] = 8000,
    database: DatabaseOpt = None,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Worker processes (进程数); on Linux each has its own listening socket.")] = 1,
) -> None:
    """Start the web application and API (网页应用与接口); loads the embedded dataset into an empty database."""
    import uvicorn

    from parklink.store.db import database_url, is_initialised
    from parklink.store.seed import has_data, init_default

    with user_errors():
        url = database_url(database)
        if not is_initialised(url) or not has_data(url):
            console.print(bi("数据库为空，正在载入默认数据集…", "empty database: loading the embedded dataset…"))
            init_default(url, firm_root=None, progress=False)
        _first_admin_hint(url)
        console.print(f"[green]→[/] http://{host}:{port}/  (API docs 接口文档: http://{host}:{port}/docs)")
    from parklink.settings import get_settings
    from parklink.web.app import uvicorn_options

    options = uvicorn_options(get_settings())  # forwarded headers only from configured proxies
    if workers > 1:
        import os
        import tempfile

        from parklink.web.app import THROTTLE_FILE_ENV

        os.environ["PARKLINK_WEB_DATABASE_URL"] = url
        from parklink.errors import ConfigError
        from parklink.web.server import serve_workers

        with tempfile.TemporaryDirectory(prefix="parklink-throttle-") as run_dir:  # one per server run
            os.environ[THROTTLE_FILE_ENV] = str(Path(run_dir) / "login-throttle.sqlite")
            try:
                with user_errors():
                    try:  # one listening socket per worker: connections spread over them evenly
                        code = serve_workers("parklink.web.asgi:app", host=host, port=port, workers=workers,
                                             log_level="warning", **options)
                    except OSError as exc:
                        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                                          f"(无法监听该地址)") from None
            finally:  # the file goes with the run: never leave its path behind
                os.environ.pop(THROTTLE_FILE_ENV, None)
        if code:
            raise typer.Exit(code)
    else:
        from parklink.web.app import create_app, freeze_startup_objects

        app = create_app(url, warm=True)
        freeze_startup_objects()
        uvicorn.run(app, host=host, port=port, log_level="info", **options)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first: str = typer.prompt("密码 Password", hide_input=True)
    again: str = typer.prompt("再次输入 Repeat", hide_input=True)
    if first != again:
        raise typer.BadParameter("the passwords differ (两次输入不一致)")
    return first


def users_add(
    username: Annotated[str, typer.Argument(help="User name (用户名).")],
    role: Annotated[str, typer.Option("--role", help="programme_office | park_manager | enterprise | public")],
    park: Annotated[list[str] | None, typer.Option("--park", help="A park the park manager may edit (repeatable).")] = None,
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="The enterprise of an enterprise user.")] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Name shown on pages.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")] = False,
    database: DatabaseOpt = None,
) -> None:
    """Create a user (新增用户) with an Argon2-hashed password (asked with a hidden prompt)."""
    from parklink.store.db import session_scope, upgrade
    from parklink.web.accounts import create_user
    from parklink.web.registry import audit

    with user_errors():
        password = _read_password(password_stdin)
        upgrade(database)
        with session_scope(database) as session:
            user = create_user(session, username, password, role, parks=park or [], enterprise_id=enterprise,
                               display_name=display_name)
            audit(session, "cli", "create", "users", user.id, None,
                  {"username": username, "role": role, "parks": park or [], "enterprise_id": enterprise})
        console.print(f"[green]✓[/] {bi('已创建用户', 'created user')} {username} ({role})")


def users_list(database: DatabaseOpt = None) -> None:
    """List users (用户列表): name, role, parks, enterprise, active."""
    import pandas as pd
    from sqlalchemy import select

    from parklink.console import frame_table
    from parklink.store import models as m
    from parklink.store.db import session_scope
    from parklink.web.accounts import user_dict

    with user_errors(), session_scope(database) as session:
        rows = [user_dict(session, u) for u in session.scalars(select(m.User).order_by(m.User.id))]
    frame = pd.DataFrame(rows, columns=["id", "username", "display_name", "role", "active", "parks", "enterprise_id"])
    frame["parks"] = frame["parks"].map(lambda v: ";".join(v) if isinstance(v, list) else v)
    console.print(frame_table(frame, bi("用户", "Users")))


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``users`` group to the parklink CLI."""
    app.command("serve")(serve)
    users = typer.Typer(help="用户 Users of the web application: add, list.", no_args_is_help=True)
    users.command("add")(users_add)
    users.command("list")(users_list)
    app.add_typer(users, name="users")
