#!/usr/bin/env bash
# The whole test run used by `make test` and CI: lint, types, then pytest with a
# throw-away PostgreSQL cluster started here and stopped afterwards, then the DuckDB = Spark
# equality test of the chain engine (marked slow + spark; needs pyspark and a JRE).
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
bash scripts/system-deps.sh || echo "system-deps: could not install system packages; related tests will be skipped" >&2
"$VENV/bin/ruff" check src tests bench scripts || exit 1
"$VENV/bin/mypy" || exit 1
pgdir=$(mktemp -d /tmp/parklink-pg.XXXXXX)
chmod 755 "$pgdir"
if url=$(bash scripts/pg-test.sh start "$pgdir"); then
  export PARKLINK_TEST_PG_URL="$url"
  echo "PostgreSQL test cluster: $url"
else
  echo "PostgreSQL unavailable: PostgreSQL tests will be SKIPPED" >&2
fi
trap 'bash scripts/pg-test.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
"$VENV/bin/python" -m pytest "$@"
rc=$?
if [ $rc -eq 0 ] && [ $# -eq 0 ]; then
  if command -v java >/dev/null 2>&1 && "$VENV/bin/python" -c "import pyspark" 2>/dev/null; then
    echo "Spark: DuckDB = Spark local[2] equality test (pytest -m spark tests/chains)"
    "$VENV/bin/python" -m pytest -m spark tests/chains -q
    rc=$?
  else
    echo "Spark: java or pyspark missing: the DuckDB = Spark test is SKIPPED" >&2
  fi
fi
# pytest exit 5 = no tests collected: treat as failure (a suite that ran nothing proves nothing)
exit $rc
