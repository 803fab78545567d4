"""What the client prints: every line in Chinese and English; ANSI colours and the bell only when the
output is a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""

from __future__ import annotations

import os
import sys
import threading

GREEN, RED, YELLOW, DIM = "32", "31", "33", "2"


def t(zh: str, en: str) -> str:
    return f"{zh} / {en}"


class Printer:
    """Thread-safe lines to ``out`` (the background sender prints too)."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.lock = threading.Lock()
        isatty = getattr(self.out, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.color = self.tty and not os.environ.get("NO_COLOR")

    def paint(self, text: str, color: str | None) -> str:
        return f"\033[{color}m{text}\033[0m" if color and self.color else text

    def line(self, text: str, color: str | None = None, *, bell: bool = False, end: str = "\n") -> None:
        with self.lock:
            self.out.write(self.paint(text, color) + ("\a" if bell and self.color else "") + end)
            self.out.flush()

    def ok(self, text: str) -> None:
        self.line(f"✓ {text}", GREEN)

    def bad(self, text: str) -> None:
        self.line(f"✗ {text}", RED, bell=True)

    def warn(self, text: str) -> None:
        self.line(f"⚠ {text}", YELLOW)

    def info(self, text: str) -> None:
        self.line(text)


# The error codes a scan, an undo or a completion gets most often, explained in both languages: the
# server renders its message in the language asked for at login; ``jxc-scan review`` shows that message
# with this explanation in the other language (an unknown code gets a general one).
ERRORS = {
    "UNKNOWN_BARCODE": ("系统里没有这个条码，请检查商品或库位标签", "unknown barcode: check the product or bin label"),
    "BAD_CHECK_DIGIT": ("条码校验位错误，请重新扫描", "bad check digit: scan again"),
    "INVALID_BARCODE": ("条码无效", "invalid barcode"),
    "WRONG_PRODUCT": ("该商品不在单据上，请放回", "the product is not on the document: put it back"),
    "WRONG_LOCATION": ("库位不在本次作业范围内", "the bin is not part of this job"),
    "LOCATION_REQUIRED": ("请先扫描库位条码", "scan a bin label first"),
    "LOT_REQUIRED": (
        "该商品按批次/序列号管理，请输入批次（复核时选 l）",
        "lot/serial tracked: type the lot (choose l in the review)",
    ),
    "SERIAL_ALREADY_SCANNED": ("序列号已经扫过", "the serial was already scanned"),
    "EXPIRED_LOT": ("批次已过期，请隔离", "the lot has expired: set it aside"),
    "OVER_RECEIPT": ("超过订单数量（含允差）", "more than ordered (with the tolerance)"),
    "OVER_SHIPMENT": ("超过已预留数量", "more than reserved"),
    "INSUFFICIENT_STOCK": ("库存不足", "not enough stock"),
    "INVALID_DATE": ("条码中的日期无效", "a date in the code is not a valid date"),
    "UNKNOWN_PACK": ("箱码没有登记（需连同包装单位登记）", "the case code is not registered (with its pack unit)"),
    "SERIAL_NOT_TRACKED": ("该商品按批次管理，不按序列号：请输入批次", "tracked by lot, not serial: type the lot"),
    "LOT_EXPIRY_MISMATCH": (
        "这个批次已有另一个有效期：请核对有效期",
        "this lot already has another expiry: check the expiry",
    ),
    "NOT_IN_BIN": ("库位里没有这么多", "the bin does not hold that much"),
    "SERIAL_NOT_IN_BIN": ("序列号不在这个库位", "the serial is not in this bin"),
    "SERIAL_ALREADY_IN_STOCK": ("序列号已在库，不能再次收货", "the serial is already in stock"),
    "STOCK_MOVED": ("扫描后库存被移动，无法完成", "the stock moved after it was scanned: cannot complete"),
    "SERIAL_RECEIVED_MEANWHILE": ("序列号在扫描后已被其他单据收货", "the serial was received by another document"),
    "SCANS_REFUSED": ("完成时部分扫描被拒绝", "some scans were refused at completion"),
    "TOO_MANY_DECIMALS": ("数量的小数位超过单位允许的位数", "the quantity has more decimals than the unit allows"),
    "INVALID_VALUE": ("数值无效", "invalid value"),
    "REQUIRED": ("缺少必填内容", "something required is missing"),
    "NOT_FOUND": ("找不到（单据或作业）", "not found (the document or the session)"),
    "INVALID_STATUS": (
        "单据或作业的状态不允许此操作（可能已完成）",
        "the document or session does not allow this now (completed?)",
    ),
    "NOTHING_SCANNED": ("还没有扫描任何商品", "nothing has been scanned yet"),
    "PERMISSION_DENIED": ("没有权限", "permission denied"),
    "IDEMPOTENCY_KEY_REUSED": ("扫描编号已被另一条扫描使用", "the scan id was used for another scan"),
    "INTERNAL_ERROR": ("服务器内部错误，请重试或联系管理员", "internal server error: retry, or call the administrator"),
    # the client's own reasons
    "NOT_UNDERSTOOD": ("无法识别这一行", "this line could not be read"),
    "NO_SESSION": (
        "输入时没有进行中的作业（重试时加入当前作业）",
        "typed while no session was open (a retry adds it to the current session)",
    ),
    "UNFINISHED": ("输入未完成（批次/有效期提示时中断）", "the entry was not finished (interrupted at the lot prompt)"),
    "UNDO_UNCERTAIN": (
        "撤销请求已发出但没有收到回复，不确定是否生效：请核对后重试或放弃",
        "the undo was sent but no answer came: check whether it applied, then retry or drop it",
    ),
    "SESSION_HAS_SET_ASIDE": (
        "本作业还有待复核的扫描：复核完（重试、放弃或补录批次）后“完成”自动随后发送",
        "this session still has set-aside scans: once they are reviewed (retried, dropped or given their lot), "
        "done follows by itself",
    ),
    "UNDONE": ("已撤销", "undone"),
    "REPLACED": ("已由补录批次的扫描取代", "replaced by the scan with the lot typed"),
    "BAD_RESPONSE": ("服务器的回复无法读取", "the server's answer could not be read"),
}


def explain(code: str) -> tuple[str, str]:
    return ERRORS.get(code) or ("服务器拒绝了这条操作", f"the server refused it ({code or 'error'})")
