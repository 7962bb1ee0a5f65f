"""parklink: plan, match and monitor cross-regional industrial cooperation parks."""

import os as _os

# Workbooks are untrusted input: openpyxl must parse them with defusedxml (entity bombs,
# external entities), which it does only when lxml is not used. lxml can arrive as a
# dependency of another package (e.g. ranx -> ir_datasets), so openpyxl is told not to use it
# before any parklink module imports openpyxl (an explicit OPENPYXL_LXML setting wins).
_os.environ.setdefault("OPENPYXL_LXML", "False")

__version__ = "0.1.0"
