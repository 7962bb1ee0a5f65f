"""Encoding detection on random Chinese text: GBK and UTF-8 files are recognised, and a file
mixing them is rejected at the first line whose encoding differs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from parklink.errors import ValidationError
from parklink.ingest.encoding import detect_file_encoding

# GB2312 level-1 hanzi (the 3755 most common characters): lead bytes B0-D7, trail A1-FE.
_HANZI = sorted({
    bytes([lead, trail]).decode("gb2312", errors="ignore")
    for lead in range(0xB0, 0xD8) for trail in range(0xA1, 0xFF)
} - {""})
_LINE = st.lists(
    st.text(st.sampled_from(_HANZI), min_size=1, max_size=8) | st.from_regex(r"[a-z0-9.]{1,6}", fullmatch=True),
    min_size=1, max_size=4,
).map(",".join).filter(lambda s: not s.isascii())


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_bytes(data)
        return detect_file_encoding(path).codec


@settings(max_examples=40, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=20))
def test_single_encoding_files_are_recognised(lines: list[str]) -> None:
    text = "header,h2\n" + "\n".join(lines) + "\n"
    assert _detect(text.encode("utf-8")) == "utf-8"
    assert _detect(text.encode("gbk")) == "gb18030"
    assert text.encode("gbk").decode("gb18030") == text


@settings(max_examples=40, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=10), st.lists(_LINE, min_size=1, max_size=10),
       st.booleans())
def test_mixed_files_are_rejected_at_the_first_switch(first: list[str], second: list[str],
                                                      utf8_first: bool) -> None:
    a, b = ("utf-8", "gbk") if utf8_first else ("gbk", "utf-8")
    head = ("h\n" + "\n".join(first) + "\n").encode(a)
    tail = ("\n".join(second) + "\n").encode(b)
    gbk_part = tail if utf8_first else head
    # Documented limit: GBK text that is valid UTF-8 as a whole (e.g. only 偶 = C5 BC = ż)
    # can hide among UTF-8 lines; the mixture is then read as UTF-8.
    assume(not _valid_utf8(gbk_part))
    data = head + tail
    with pytest.raises(ValidationError) as info:
        _detect(data)
    (problem,) = info.value.problems
    if utf8_first:
        # GBK lines that are also valid UTF-8 (e.g. 偷 = CD B5 = U+0375) may pass as UTF-8
        # when their misreading shows no strong sign; the first GBK line that is not valid
        # UTF-8 is certainly GBK. So the switch is reported inside the GBK part, at the
        # latest on that line.
        hidden = next(i for i, line in enumerate(second) if not _valid_utf8(line.encode("gbk")))
        assert len(first) + 2 <= problem.row <= len(first) + 2 + hidden
    else:
        assert problem.row == len(first) + 2
    assert problem.reason.startswith("mixed encodings")


def test_utf8_with_european_and_cyrillic_names_stays_utf8() -> None:
    text = "name_en\nNestlé España\nŁódź Special Economic Zone\nРоссия\nCafé 重庆\n¡,À,é\n"
    assert _detect(text.encode("utf-8")) == "utf-8"
    assert _detect("a\n¡\n".encode()) == "utf-8"


def test_short_gbk_text_that_is_valid_utf8_is_read_as_gbk() -> None:
    # 一 is D2 BB in GBK, which is also UTF-8 for U+04BB (Cyrillic shha); 偶 is C5 BC = ż.
    for word in ("一", "偶"):
        assert word.encode("gbk").decode("utf-8")  # valid UTF-8 indeed
        assert _detect(f"name_zh\n{word}\n".encode("gbk")) == "gb18030"
