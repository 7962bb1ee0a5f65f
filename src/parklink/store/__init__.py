"""The operational registry: SQLAlchemy 2 models, sessions, migrations, frame I/O, backups."""

from parklink.store.db import get_engine, is_initialised, session_scope, upgrade

__all__ = ["get_engine", "is_initialised", "session_scope", "upgrade"]
