"""A file SQLite engine keeps the connections of a burst of concurrent sessions (the web
server's threads) instead of opening and closing one per request above five."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, text

from parklink.store.db import POOL_SIZE, get_engine


def test_a_burst_of_twelve_reuses_its_connections(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pool.sqlite'}"
    engine = get_engine(url)
    opened: list[int] = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    try:
        for _ in range(3):  # three bursts of 12 concurrent connections
            held = [engine.connect() for _ in range(12)]
            for conn in held:
                conn.execute(text("SELECT 1"))
            for conn in held:
                conn.close()
        assert len(opened) == 12  # the first burst opened them; the next two reused them
        assert engine.pool.size() == POOL_SIZE >= 12  # type: ignore[attr-defined]
    finally:
        engine.dispose()
