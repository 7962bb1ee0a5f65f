"""Crash recovery of a restore's firm-folder swap: a journal next to the firm folder.

A restore swaps the firm folder (two renames) inside its database transaction, just before
the commit, and holds the folder's publish lock from before the swap until after the
commit. A process that dies in between would leave the new firm files with the old
database (or, after the commit, the old folder lying next to the new one). So before the
first rename the restore writes a journal ``.<folder>.restore-journal.json`` (written to a
temporary file, fsynced and renamed) naming a random token, the moved-away folder and the
staging folder, and puts the token into the ``meta`` table *in the same transaction*.

:func:`recover` finishes or undoes an interrupted swap: under the publish lock, if the
journal is still there, the token in the database tells whether the transaction committed
— then the new folder stays and the old one is removed — or not — then the old folder is
put back. Either way the journal, the token and the staging folder are removed. It runs at
the start of every restore and whenever the inputs bundle is read (a stat of one path when
nothing is pending).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from parklink.firmdata import publish_lock
from parklink.store.models import Meta

#: ``meta`` key holding the token of the restore whose transaction wrote it.
META_KEY = "restore_journal"


def journal_path(firm_root: Path) -> Path:
    """The journal file of the firm folder ``firm_root`` (next to it, hidden)."""
    return firm_root.parent / f".{firm_root.name}.restore-journal.json"


def write_journal(firm_root: Path, token: str, old: Path, staging: Path) -> Path:
    """Write the journal durably (temporary file, fsync, rename, fsync of the folder)."""
    path = journal_path(firm_root)
    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps({"token": token, "old": old.name, "staging": staging.name}).encode()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    _fsync_dir(path.parent)
    return path


def mark(session: Session, token: str) -> None:
    """Record ``token`` in the restore's own transaction (it commits with the tables)."""
    session.merge(Meta(key=META_KEY, value=token))


def finish(session_url: str | None, firm_root: Path, old: Path | None) -> None:
    """After the commit: drop the journal, the token and the old folder."""
    from parklink.store.db import session_scope

    journal_path(firm_root).unlink(missing_ok=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    with session_scope(session_url) as session:
        session.execute(delete(Meta).where(Meta.key == META_KEY))


def recover(url: str | None, firm_root: Path) -> str | None:
    """Finish or undo an interrupted restore swap of ``firm_root`` (see the module doc).

    Returns ``"committed"`` (the restored firm folder was kept), ``"rolled back"`` (the old
    folder was put back) or None when no restore was interrupted.
    """
    journal = journal_path(firm_root)
    if not journal.exists():
        return None
    from parklink.store.db import session_scope

    with publish_lock(firm_root):
        if not journal.exists():  # the restore that held the lock has finished meanwhile
            return None
        try:
            data = json.loads(journal.read_text(encoding="utf-8"))
            token, old_name, staging_name = str(data["token"]), str(data["old"]), str(data["staging"])
        except (OSError, ValueError, KeyError, TypeError):
            journal.unlink(missing_ok=True)  # torn journal: written before any rename
            return None
        old = firm_root.parent / old_name
        staging = firm_root.parent / staging_name
        with session_scope(url) as session:
            committed = session.scalar(select(Meta.value).where(Meta.key == META_KEY)) == token
            if committed:
                shutil.rmtree(old, ignore_errors=True)
            elif old.exists():  # the old folder was moved away: put it back
                if firm_root.exists():
                    shutil.rmtree(firm_root)
                old.rename(firm_root)
            session.execute(delete(Meta).where(Meta.key == META_KEY))
        shutil.rmtree(staging, ignore_errors=True)
        journal.unlink(missing_ok=True)
        _fsync_dir(firm_root.parent)
    return "committed" if committed else "rolled back"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - not POSIX
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
