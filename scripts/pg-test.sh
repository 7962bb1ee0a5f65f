#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL cluster for the test suite.
#   scripts/pg-test.sh start DIR   -> prints the SQLAlchemy URL on stdout
#   scripts/pg-test.sh stop DIR
# Runs the server as the 'postgres' user when we are root (initdb refuses root).
set -euo pipefail
action=${1:?start|stop}; dir=${2:?directory}
# a free loopback port unless one is given (a stray server on a fixed port must not break the run)
port=${PARKLINK_TEST_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then echo "pg-test: PostgreSQL server binaries not found" >&2; exit 3; fi
as_pg() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$action" in
  start)
    mkdir -p "$dir"; [ "$(id -u)" = "0" ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir/data" -A trust -U parklink -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" -l "$dir/server.log" -w start >/dev/null
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U parklink -d postgres -qtc "SELECT 1 FROM pg_database WHERE datname='parklink_test'" | grep -q 1 \
      || as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U parklink parklink_test
    echo "postgresql+psycopg://parklink@127.0.0.1:$port/parklink_test"
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
