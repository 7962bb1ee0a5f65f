"""The CJK font of the reports: Noto Sans CJK SC (Debian ``fonts-noto-cjk``, SIL OFL).

The PDFs (:mod:`parklink.report.pdf`) and the charts (:mod:`parklink.report.charts`) use
the same font, found once per process: ``PARKLINK_FONT_DIR`` when set, else the Debian
location of ``fonts-noto-cjk``, else WenQuanYi Micro Hei (``fonts-wqy-microhei``). Without
any of them a :class:`~parklink.errors.ConfigError` says which package to install — a report
never falls back to a font without Chinese glyphs.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from parklink.errors import ConfigError

__all__ = ["CjkFont", "cjk_font"]

_CANDIDATES: tuple[tuple[str, str, str], ...] = (
    ("/usr/share/fonts/opentype/noto", "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("/usr/share/fonts/truetype/wqy", "wqy-microhei.ttc", "WenQuanYi Micro Hei"),
)


@dataclass(frozen=True)
class CjkFont:
    """A font directory (what Typst reads), the regular font file (what matplotlib reads)
    and the family name both use."""

    directory: Path
    regular: Path
    family: str


@functools.cache
def cjk_font() -> CjkFont:
    """The CJK font of the reports (see the module docstring)."""
    override = os.environ.get("PARKLINK_FONT_DIR")
    candidates = _CANDIDATES
    if override:
        d = Path(override)
        for f in sorted(d.glob("*.tt[cf]")) + sorted(d.glob("*.otf")):
            for _dir, name, family in _CANDIDATES:
                if f.name == name:
                    return CjkFont(d, f, family)
        raise ConfigError(f"PARKLINK_FONT_DIR={override} holds neither NotoSansCJK-Regular.ttc nor wqy-microhei.ttc "
                          "(报告字体缺失)")
    for directory, name, family in candidates:
        path = Path(directory) / name
        if path.is_file():
            return CjkFont(Path(directory), path, family)
    raise ConfigError("no CJK font for the reports (报告需要中文字体): install the Debian package fonts-noto-cjk "
                      "(scripts/system-deps.sh) or set PARKLINK_FONT_DIR to a folder with NotoSansCJK-Regular.ttc")
