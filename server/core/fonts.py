"""The font of every PDF jxc prints: WenQuanYi Micro Hei (文泉驿微米黑, Apache-2.0, the file in
``server/core/fonts/``), one TrueType font with Chinese and Latin glyphs.

reportlab embeds the glyphs a document uses (a subset of the font) in the PDF itself, so a printed
order, voucher or statement looks the same in every reader and on every printer: no character
depends on a font the reader happens to have (a CID font such as STSong-Light is only named in the
PDF, and readers without Adobe's Asian font pack draw boxes instead).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_FILE = Path(__file__).with_name("fonts") / "wqy-microhei.ttc"
FONT = "WQYMicroHei"


@cache
def pdf_font() -> str:
    """Register the font with reportlab (once per process) and return its name."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    return FONT
