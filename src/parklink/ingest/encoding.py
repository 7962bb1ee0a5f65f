"""Text-encoding detection for CSV files: UTF-8, UTF-8 with BOM, GBK/GB18030 — and no mixtures.

Method: a strict UTF-8 decode of the whole file comes first; a UTF-8 byte-order mark with
valid UTF-8 bytes settles it. Otherwise the non-ASCII lines are classified one by one (those
in the first 8 MiB when the whole file is valid UTF-8; none when it is pure ASCII). A line
is UTF-8 when it is valid UTF-8 and that reading has CJK characters; it is GBK when it is
not valid UTF-8 but decodes as GB18030 (GBK and GB2312 are subsets), or when it is valid
UTF-8 only by accident: short GBK text such as 一 (D2 BB, also UTF-8 for U+04BB) reads as
UTF-8 without CJK but with Greek/Cyrillic/IPA letters (a strong sign) or with accented Latin
letters standing outside any word (a weak sign), while its GB18030 reading is common Chinese
(GB2312). A file valid as UTF-8 is GBK only when every non-ASCII line shows such signs, and
only strong signs count as a mixture there. A file whose lines fall in both classes mixes
encodings and is rejected naming the first line that disagrees with the earlier ones. A line
valid in neither is rejected unless charset-normalizer
(https://github.com/jawah/charset_normalizer) proposes another encoding that decodes the
whole file strictly (e.g. Big5, UTF-16).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import charset_normalizer

from parklink.errors import ValidationError

__all__ = ["Encoding", "decode_bytes", "detect_file_encoding"]

_CHUNK = 1 << 24  # 16 MiB


@dataclass(frozen=True, slots=True)
class Encoding:
    """A detected encoding: the Python codec name and whether a byte-order mark leads the file."""

    codec: str
    bom: bool = False

    @property
    def label(self) -> str:
        """Human-readable name, e.g. 'UTF-8 with BOM' or 'GB18030 (GBK)'."""
        names = {"utf-8": "UTF-8", "gb18030": "GB18030 (GBK)", "utf-16": "UTF-16"}
        base = names.get(self.codec, self.codec)
        return f"{base} with BOM" if self.bom and self.codec == "utf-8" else base


def _is_gb2312(text: str) -> bool:
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _has_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


def _misread_strength(as_utf8: str) -> int:
    """How strongly a UTF-8 reading without CJK looks like GBK bytes read as UTF-8:
    2 for letters from U+0250 up (IPA, Greek, Cyrillic, ...), 1 for accented Latin letters
    (U+0080-U+024F) with no ASCII letter next to them (in real European text accents sit
    inside words), 0 otherwise."""
    strength = 0
    for i, ch in enumerate(text := as_utf8):
        if ch.isascii() or not ch.isalpha():
            continue
        if ch >= "\u0250":
            return 2
        before = text[i - 1] if i > 0 else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        if not (before.isascii() and before.isalpha()) and not (
            after.isascii() and after.isalpha()
        ):
            strength = 1
    return strength


def _classify_line(line: bytes) -> str | None:
    """'ascii'; 'utf-8' (valid UTF-8 with CJK, or plausible text); 'gbk' (not UTF-8 but
    GB18030); 'gbk-strong' / 'gbk-weak' (valid UTF-8 only by accident, see
    :func:`_misread_strength`, while the GB18030 reading is common Chinese); 'neutral' (valid
    UTF-8 without CJK, no sign either way); None when valid in neither."""
    if line.isascii():
        return "ascii"
    try:
        as_utf8 = line.decode("utf-8")
    except UnicodeDecodeError:
        as_utf8 = None
    try:
        as_gb = line.decode("gb18030")
    except UnicodeDecodeError:
        as_gb = None
    if as_utf8 is None:
        return "gbk" if as_gb is not None else None
    if _has_cjk(as_utf8):
        return "utf-8"
    if as_gb is not None and _has_cjk(as_gb) and _is_gb2312(as_gb):
        strength = _misread_strength(as_utf8)
        if strength:
            return "gbk-strong" if strength == 2 else "gbk-weak"
    return "neutral"


def _utf8_scan(stream: BinaryIO) -> tuple[bool, bool, int | None]:
    """(valid UTF-8, pure ASCII, 1-based line of the first invalid byte or None) of the rest
    of ``stream``, read in 16 MiB chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    ascii_only = True
    lines = 0
    chunk = b""
    try:
        while chunk := stream.read(_CHUNK):
            ascii_only = ascii_only and chunk.isascii()
            decoder.decode(chunk)
            lines += chunk.count(b"\n")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        # the decoder may hold up to 3 bytes of the previous chunk; count lines up to the
        # error within this chunk (bounded below at the chunk start)
        return False, False, lines + chunk[: max(exc.start, 0)].count(b"\n") + 1
    return True, ascii_only, None


#: In a file that is valid UTF-8 as a whole, only lines starting in its first 8 MiB are
#: classified (GBK text that is also valid UTF-8 comes in small files).
UTF8_SAMPLE_BYTES = 8 << 20


def _classify(file: str, stream: BinaryIO, sample: bytes, *, utf8_valid: bool) -> Encoding:
    """Line-by-line classification (see the module docstring).

    In a file that is valid UTF-8 as a whole, only strong signs of GBK count against UTF-8
    lines, and the file is GBK only when every non-ASCII line looks like misread GBK. In a
    file that is not, every GBK sign counts and UTF-8 lines are those with CJK.
    """
    gb_kinds = {"gbk", "gbk-strong"} if utf8_valid else {"gbk", "gbk-strong", "gbk-weak"}
    first: tuple[str, int] | None = None
    seen = 0
    all_gb = True
    offset = 0
    for number, raw in enumerate(stream, start=1):
        if utf8_valid and offset >= UTF8_SAMPLE_BYTES:
            break
        offset += len(raw)
        kind = _classify_line(raw.rstrip(b"\r\n"))
        if kind == "ascii":
            continue
        seen += 1
        if kind is None:
            other = _charset_normalizer_guess(sample)
            if other is not None:
                return other
            raise ValidationError.single(
                file,
                f"line {number} is valid in neither UTF-8 nor GBK/GB18030; save the file "
                f"as UTF-8 (第{number}行既不是UTF-8也不是GBK编码，请另存为UTF-8)",
                row=number,
            )
        all_gb &= kind.startswith("gbk")
        cls = "gb18030" if kind in gb_kinds else "utf-8" if kind == "utf-8" else None
        if cls is None:
            continue
        if first is None:
            first = (cls, number)
        elif cls != first[0]:
            names = {"utf-8": "UTF-8", "gb18030": "GBK/GB18030"}
            raise ValidationError.single(
                file,
                f"mixed encodings: line {number} is {names[cls]} but line {first[1]} is "
                f"{names[first[0]]}; save the whole file in one encoding, preferably UTF-8 "
                f"(文件混用多种编码：第{number}行与第{first[1]}行编码不同)",
                row=number,
            )
    if utf8_valid:
        return Encoding("gb18030" if seen and all_gb else "utf-8")
    return Encoding("gb18030")


def _charset_normalizer_guess(sample: bytes) -> Encoding | None:
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        return None
    codec = codecs.lookup(best.encoding).name
    if codec in ("utf-8", "gb18030", "gbk", "gb2312", "ascii"):
        return None
    try:
        sample.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    return Encoding(codec)


def _check_utf16(stream: BinaryIO, file: str) -> None:
    """Decode ``stream`` (starting with a UTF-16 byte-order mark) strictly, in 16 MiB chunks;
    ValidationError naming the line of the first undecodable unit (e.g. an odd byte count)."""
    decoder = codecs.getincrementaldecoder("utf-16")("strict")
    lines = 0
    try:
        while chunk := stream.read(_CHUNK):
            lines += decoder.decode(chunk).count("\n")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        line = lines + 1
        raise ValidationError.single(
            file, f"file starts with a UTF-16 byte-order mark but is not valid UTF-16 from line "
            f"{line} on ({exc.reason}) (文件带UTF-16标记但第{line}行起不是有效的UTF-16)",
            row=line) from exc


def detect_file_encoding(path: Path, *, file: str | None = None) -> Encoding:
    """Detect the text encoding of the file at ``path`` (see the module docstring).

    Reads the file in 16 MiB chunks, so it works on files larger than memory. Raises
    :class:`ValidationError` naming the first bad line for mixed or undecodable files.
    """
    label = file or path.name
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            bom = True
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            fh.seek(0)
            _check_utf16(fh, label)
            return Encoding("utf-16", bom=True)
        else:
            bom = False
        fh.seek(3 if bom else 0)
        utf8_valid, ascii_only, bad_line = _utf8_scan(fh)
        if utf8_valid and (bom or ascii_only):
            return Encoding("utf-8", bom=bom)  # the mark says UTF-8 and the bytes agree
        if bom and bad_line is not None:
            # a UTF-8 BOM followed by non-UTF-8 bytes: the file says UTF-8 but is not
            raise ValidationError.single(
                label, f"file starts with a UTF-8 byte-order mark but line {bad_line} is not "
                f"valid UTF-8 (文件带UTF-8标记但第{bad_line}行不是UTF-8编码)", row=bad_line)
        fh.seek(3 if bom else 0)
        sample = fh.read(1 << 20)
        fh.seek(3 if bom else 0)
        enc = _classify(label, fh, sample, utf8_valid=utf8_valid)
    if bom and enc.codec != "utf-8":
        # a UTF-8 BOM followed by non-UTF-8 bytes: the file says UTF-8 but is not.
        raise ValidationError.single(
            label, "file starts with a UTF-8 byte-order mark but is not valid UTF-8 "
            "(文件带UTF-8标记但内容不是UTF-8)", row=1
        )
    return enc


def decode_bytes(data: bytes, path: Path, *, file: str | None = None) -> tuple[str, Encoding]:
    """Decode ``data`` (the bytes of ``path``) strictly in its detected encoding."""
    enc = detect_file_encoding(path, file=file)
    body = data[3:] if enc.bom and enc.codec == "utf-8" else data
    codec = "utf-16" if enc.codec == "utf-16" else enc.codec
    try:
        return body.decode(codec), enc
    except UnicodeDecodeError as exc:  # pragma: no cover - detection decoded it already
        line = body[: exc.start].count(b"\n") + 1
        raise ValidationError.single(
            file or path.name, f"line {line} cannot be decoded as {enc.label}", row=line
        ) from exc
