"""ZPL II for thermal label printers (Zebra and the many printers that speak ZPL).

One ``^XA … ^XZ`` format per label, laid out by ``labels.plan`` in the printer's dots (203 or 300 dpi),
so the printer draws the same symbol in the same place as the PDF:

* ``^PW``/``^LL`` the label's width and length in dots, ``^LH0,0``, ``^CI28`` (field data is UTF-8);
* ``^BY{m}`` the module width in whole dots (at least the GS1 minimum X-dimension), then
  ``^BC`` Code 128 / GS1-128 in mode N with the code sets chosen here (``>;`` start C, ``>:`` start
  B, ``>5``/``>6`` switch, ``>8`` FNC1 — first for GS1-128, and after every variable-length element
  string that is not last), ``^BE`` EAN-13 (12 digits, the printer adds the check digit), ``^BQN,2,m``
  QR Code (error correction M, automatic input: ``^FDMA,<uri>``), ``^BXN,m,200,c,r,,`,a`` GS1
  DataMatrix (ECC 200 with the rows and columns planned; `````1`` is FNC1: with the backtick as the
  escape character, because ``_``, the default, is a GS1 character that lots may contain);
  no printer interpretation lines: the human-readable text is placed by the plan;
* text in ``^A0`` (the printer's scalable font) when it is ASCII, and in ``^A@`` with a CJK font for
  Chinese — ``E:ANMDS.TTF`` (Zebra's Andale Mono WT Simplified Chinese, downloaded to the printer's
  E: drive) unless the caller names another (``font=E:SIMSUN.TTF``…); each line in a one-line ``^FB``
  of the width the plan gave it, with ``^FH`` escapes for ``_``, ``^`` and ``~``.
"""

from __future__ import annotations

import re

from server.scanning import labels, symbols
from server.scanning.errors import ScanningError
from server.scanning.labels import GS, Label, Plan

CJK_FONT = "E:ANMDS.TTF"
FONT_NAME = re.compile(r"[A-Z]:[A-Z0-9_\-]{1,16}\.(TTF|TTE|FNT|OTF)")
DM_ESCAPE = "`"


def _field_text(text: str) -> str:
    out = []
    for ch in text:
        if ch in "_^~" or ord(ch) < 32:
            out.append("".join(f"_{b:02X}" for b in ch.encode()))
        else:
            out.append(ch)
    return "".join(out)


def _text(t: labels.TextLine, font: str) -> str:
    wide = any(ord(c) > 0x2E7F for c in t.text)
    face = f"^A@N,{t.size},{t.size},{font}" if wide else f"^A0N,{t.size},{t.size}"
    return f"^FO{t.x},{t.y}{face}^FB{t.width},1,0,{t.align}^FH_^FD{_field_text(t.text)}^FS"


def _symbol(p: Plan) -> str:
    sym, label = p.symbol, p.label
    if sym.symbology in ("code128", "gs1_128"):
        data = symbols.zpl_code128_data(sym.code128_values)
        return f"^FO{p.x},{p.y}^BY{p.module}^BCN,{p.bar_height},N,N,N,N^FD{data}^FS"
    if sym.symbology == "ean13":
        return f"^FO{p.x},{p.y}^BY{p.module}^BEN,{p.bar_height},N,N^FD{label.data[:12]}^FS"
    if sym.symbology == "qr":
        return f"^FO{p.x},{p.y}^BQN,2,{p.module}^FDMA,{label.data}^FS"
    rows, cols = sym.modules_high, sym.modules_wide
    data = DM_ESCAPE + "1" + label.data.replace(GS, DM_ESCAPE + "1")
    aspect = 1 if rows == cols else 2
    return f"^FO{p.x},{p.y}^BXN,{p.module},200,{cols},{rows},,{DM_ESCAPE},{aspect}^FD{data}^FS"


def label_zpl(p: Plan, font: str = CJK_FONT) -> str:
    parts = ["^XA", "^CI28", f"^PW{p.width}", f"^LL{p.height}", "^LH0,0", _symbol(p)]
    parts += [_text(t, font) for t in p.texts if t.text]
    parts += ["^PQ1", "^XZ"]
    return "\n".join(parts) + "\n"


def labels_zpl(items: list[Label], layout: str = "50x30", dpi: int = 203, font: str = CJK_FONT) -> str:
    """One ZPL format per label for a thermal ``layout`` at ``dpi``; ``LABEL_TOO_SMALL`` when one does
    not fit."""
    lay = labels.LAYOUTS[layout]
    if not lay.thermal:
        raise ScanningError(
            "INVALID_VALUE", "layout", detail=f"ZPL is for label printers: {' | '.join(labels.THERMAL_LAYOUTS)}"
        )
    return "".join(label_zpl(labels.plan(item, lay, dpi), font) for item in items)
