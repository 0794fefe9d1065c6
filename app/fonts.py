"""Fonts for certificates: an embeddable CJK TrueType font first, then wider-script fallbacks.

reportlab subset-embeds TrueType fonts (TTF/TTC) but not OpenType-CFF ones such as Noto CJK,
so Debian's fonts-wqy-zenhei is the default. Each character is drawn with the first font that
has a glyph for it, so a name in any script never turns into boxes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

CJK_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]
FALLBACK_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
]
CID_FALLBACK = "STSong-Light"  # reportlab's built-in CID font: shown by viewers, not embedded


@dataclass(frozen=True)
class FontFile:
    name: str
    path: str
    coverage: frozenset[int]


@lru_cache(maxsize=4)
def font_files(configured: str | None = None) -> tuple[FontFile, ...]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    paths = [configured] if configured else []
    cjk = next((p for p in CJK_CANDIDATES if Path(p).exists()), None)
    paths += [p for p in [cjk] + FALLBACK_CANDIDATES if p and Path(p).exists()]
    files = []
    for index, path in enumerate(dict.fromkeys(paths)):
        name = f"SmallB-{index}"
        try:
            font = TTFont(name, path, subfontIndex=0)
        except Exception as error:  # a broken or CFF font file: skip it, say so
            log.warning("Cannot embed font %s: %s", path, error)
            continue
        pdfmetrics.registerFont(font)
        files.append(FontFile(name, path, frozenset(font.face.charToGlyph)))
    if not any(0x5B66 in f.coverage for f in files):  # 学: no embeddable CJK font found
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        log.warning("No embeddable CJK TrueType font found (install fonts-wqy-zenhei or set "
                    "CERTIFICATE_FONT); certificates fall back to %s, which PDF viewers must "
                    "supply themselves.", CID_FALLBACK)
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
        files.append(FontFile(CID_FALLBACK, "", frozenset(range(0x4E00, 0xA000))))
    return tuple(files)


def runs(text: str, files: tuple[FontFile, ...]) -> list[tuple[FontFile, str]]:
    """Split text into (font, piece) runs, each character in the first font that has it."""
    result: list[tuple[FontFile, str]] = []
    for ch in text:
        font = next((f for f in files if ord(ch) in f.coverage), files[0])
        if result and result[-1][0] is font:
            result[-1] = (font, result[-1][1] + ch)
        else:
            result.append((font, ch))
    return result
