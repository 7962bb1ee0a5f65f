#!/usr/bin/env bash
# Install the system packages the test suite needs (Debian): PostgreSQL server, Chromium,
# a Java runtime (pyspark's local[2] session for the DuckDB = Spark test), and a small CJK
# font (WenQuanYi Micro Hei) so browser screenshots show Chinese text, Noto Sans CJK
# (fonts-noto-cjk) for the PDF reports and poppler-utils to check them.
# As root, missing packages are installed with apt-get; otherwise a clear message says
# which tests will be skipped.
set -euo pipefail
need=()
command -v /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
# reports: Noto Sans CJK for the Typst PDFs and the matplotlib charts; poppler-utils for the PDF tests
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
if [ ${#need[@]} -eq 0 ]; then
  echo "system-deps: postgresql, chromium, java and a CJK font present"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "system-deps: missing ${need[*]} and not root: PostgreSQL, browser or Spark tests will be SKIPPED" >&2
fi
