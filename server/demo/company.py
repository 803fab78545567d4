"""Demo data: a small trading company (上海 head warehouse, 北京 branch) to explore the system with:
master data, opening stock, and purchasing and sales documents in every state (``server.demo.purchasing``,
``server.demo.sales``).

``load_demo_data`` creates everything through the ordinary ``do_*`` actions, so the demo obeys the
same validation and ledger rules as real data. It is deterministic (no randomness; only the lot dates
follow the load date) and loads only once. Every step carries an idempotency key (``demo-…``), so a
load that was interrupted resumes where it stopped; a database that already has its own ``PCS`` unit
or ``SH01`` warehouse (not from the demo) is left alone.

Barcodes use the GS1 demo prefix 952 + company number 1234 + a 5-digit item number + the computed
check digit (items 00001… for pieces, 50001… for the box of 12). Tax ids are 18-character 统一社会
信用代码 with valid check characters, but they belong to no real company.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import exists, select

from server.catalog.gtin import gs1_check_digit
from server.catalog.models import unit
from server.catalog.services import (
    AltUnitInput,
    BarcodeInput,
    ProductInput,
    do_create_category,
    do_create_product,
    do_create_unit,
)
from server.core import clock
from server.core.database import Database
from server.core.idempotency import idempotency_key
from server.core.numbers import fen_to_decimal
from server.demo.purchasing import load_purchasing_demo
from server.demo.sales import LAST_STEP_KEY, load_sales_demo
from server.finance.ledger import period_of, period_start
from server.inventory.models import warehouse
from server.inventory.warehouses import do_create_location, do_create_warehouse
from server.opening.services import (
    OpeningAccount,
    OpeningInput,
    OpeningStock,
    do_post_opening,
    do_set_go_live_date,
    opening_status,
)
from server.partners.services import PartnerInput, do_create_partner

GS1_PREFIX = "9521234"  # 952 (GS1 China range reserved for demos) + company 1234
BOX_ITEM_OFFSET = 50000
OPENING_MEMO = "期初建账：股东投入资本与期初库存 opening balances: capital paid in and stock on hand"
CAPITAL_FEN = 20_000_000  # the owners paid 200,000.00 into the bank before go-live
DOCUMENT_DAYS = 30  # the oldest demo document is younger than this (server/demo/purchasing.py, sales.py)

# code, name, English name, precision
UNITS = [
    ("PCS", "个", "piece", 0),
    ("BOX12", "箱", "box of 12", 0),
    ("KG", "千克", "kilogram", 3),
    ("BTL", "瓶", "bottle", 0),
    ("PKG", "包", "pack", 0),
]

# code, name, parent code
CATEGORIES = [
    ("FOOD", "食品饮料", None),
    ("FOOD-DRINK", "饮料", "FOOD"),
    ("FOOD-SNACK", "零食", "FOOD"),
    ("FOOD-GRAIN", "粮油", "FOOD"),
    ("DAILY", "日用百货", None),
    ("DAILY-CLEAN", "清洁用品", "DAILY"),
    ("DAILY-CARE", "个人护理", "DAILY"),
    ("OFFICE", "办公用品", None),
    ("OFFICE-PAPER", "纸品", "OFFICE"),
    ("OFFICE-STAT", "文具", "OFFICE"),
]

# warehouse code, name, address, zones: (zone letter, zone name, top-level categories stored there)
WAREHOUSES: list[tuple[str, str, str, list[tuple[str, str, tuple[str, ...]]]]] = [
    (
        "SH01",
        "上海总仓",
        "上海市浦东新区康桥工业区秀浦路 88 号 3 号库",
        [
            ("A", "食品饮料区", ("FOOD",)),
            ("B", "日用百货区", ("DAILY",)),
            ("C", "办公用品区", ("OFFICE",)),
        ],
    ),
    (
        "BJ01",
        "北京分仓",
        "北京市大兴区经济技术开发区科创十三街 16 号",
        [
            ("A", "食品饮料区", ("FOOD",)),
            ("B", "日化办公区", ("DAILY", "OFFICE")),
        ],
    ),
]
BIN_ROWS, BIN_LEVELS = 2, 2  # bins per zone: rows × levels, e.g. SH01-A-01-01 … SH01-A-02-02


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    spec: str
    category: str
    unit: str
    sale: str
    purchase: str
    vat: str
    reorder_point: str
    reorder_qty: str
    box: bool  # sold by the box of 12 too (alternative unit BOX12 with its own GTIN)
    sh01: str  # opening quantity in base units ("0" = none)
    bj01: str
    tracking: str = "none"


def _p(sku, name, spec, category, unit_code, sale, purchase, vat, rp, rq, box, sh01, bj01, tracking="none"):
    return DemoProduct(sku, name, spec, category, unit_code, sale, purchase, vat, rp, rq, box, sh01, bj01, tracking)


Y, N = True, False
PRODUCTS = [
    # 饮料
    _p("DRK-001", "饮用天然水", "550ml×1", "FOOD-DRINK", "BTL", "2.00", "1.05", "0.13", "240", "960", Y, "1440", "720"),
    _p("DRK-002", "饮用纯净水", "1.5L×1", "FOOD-DRINK", "BTL", "3.50", "1.90", "0.13", "120", "480", Y, "600", "240"),
    _p("DRK-003", "无糖乌龙茶", "500ml×1", "FOOD-DRINK", "BTL", "5.00", "2.80", "0.13", "96", "360", Y, "480", "240"),
    _p("DRK-004", "冰红茶", "500ml×1", "FOOD-DRINK", "BTL", "3.50", "1.95", "0.13", "96", "360", Y, "360", "180"),
    _p("DRK-005", "橙汁饮料", "1L×1", "FOOD-DRINK", "BTL", "9.90", "5.60", "0.13", "48", "144", Y, "192", "96"),
    _p("DRK-006", "原味苏打水", "400ml×1", "FOOD-DRINK", "BTL", "4.50", "2.40", "0.13", "48", "240", Y, "240", "120"),
    _p("DRK-007", "罐装可乐", "330ml×1", "FOOD-DRINK", "PCS", "3.00", "1.65", "0.13", "144", "480", Y, "720", "360"),
    _p(
        "DRK-008",
        "全脂纯牛奶",
        "250ml×1",
        "FOOD-DRINK",
        "PCS",
        "3.50",
        "2.10",
        "0.09",
        "120",
        "480",
        Y,
        "480",
        "240",
        "lot",
    ),
    _p(
        "DRK-009",
        "原味酸奶",
        "200g×1",
        "FOOD-DRINK",
        "PCS",
        "5.50",
        "3.20",
        "0.13",
        "60",
        "240",
        Y,
        "240",
        "120",
        "lot",
    ),
    _p("DRK-010", "速溶咖啡", "15g×30条", "FOOD-DRINK", "PKG", "39.90", "26.00", "0.13", "20", "60", Y, "84", "36"),
    # 零食
    _p("SNK-001", "原味薯片", "70g", "FOOD-SNACK", "PKG", "7.50", "4.30", "0.13", "48", "192", Y, "240", "120"),
    _p("SNK-002", "黄油曲奇饼干", "100g", "FOOD-SNACK", "PKG", "8.90", "5.20", "0.13", "36", "144", Y, "180", "72"),
    _p("SNK-003", "苏打饼干", "400g", "FOOD-SNACK", "PKG", "12.80", "7.60", "0.13", "24", "96", Y, "120", "60"),
    _p("SNK-004", "五香牛肉干", "100g", "FOOD-SNACK", "PKG", "29.90", "18.50", "0.13", "24", "72", Y, "96", "48"),
    _p("SNK-005", "每日坚果", "25g×7袋", "FOOD-SNACK", "PKG", "39.90", "25.00", "0.13", "24", "72", Y, "108", "48"),
    _p("SNK-006", "奶糖", "228g", "FOOD-SNACK", "PKG", "15.80", "9.40", "0.13", "24", "96", Y, "120", "48"),
    _p("SNK-007", "70%黑巧克力", "100g", "FOOD-SNACK", "PCS", "18.90", "11.20", "0.13", "24", "72", Y, "96", "36"),
    _p("SNK-008", "原味海苔", "4.5g×12", "FOOD-SNACK", "PKG", "19.90", "11.80", "0.13", "24", "72", Y, "72", "36"),
    _p(
        "SNK-009",
        "散装花生米",
        "称重",
        "FOOD-SNACK",
        "KG",
        "24.00",
        "15.60",
        "0.09",
        "20.000",
        "100.000",
        N,
        "86.250",
        "42.750",
    ),
    _p(
        "SNK-010",
        "散装五香瓜子",
        "称重",
        "FOOD-SNACK",
        "KG",
        "28.00",
        "17.50",
        "0.13",
        "15.000",
        "60.000",
        N,
        "64.800",
        "30.150",
    ),
    # 粮油
    _p(
        "GRN-001",
        "东北散装大米",
        "称重",
        "FOOD-GRAIN",
        "KG",
        "6.80",
        "4.20",
        "0.09",
        "100.000",
        "500.000",
        N,
        "125.500",
        "98.250",
    ),
    _p(
        "GRN-002",
        "散装小米",
        "称重",
        "FOOD-GRAIN",
        "KG",
        "9.60",
        "6.10",
        "0.09",
        "30.000",
        "100.000",
        N,
        "48.600",
        "25.400",
    ),
    _p(
        "GRN-003", "散装绿豆", "称重", "FOOD-GRAIN", "KG", "12.00", "7.80", "0.09", "20.000", "80.000", N, "36.125", "0"
    ),
    _p("GRN-004", "五常大米", "5kg/包", "FOOD-GRAIN", "PKG", "59.90", "42.00", "0.09", "20", "60", N, "80", "40"),
    _p("GRN-005", "特一小麦粉", "5kg/包", "FOOD-GRAIN", "PKG", "32.00", "22.50", "0.09", "20", "60", N, "60", "30"),
    _p("GRN-006", "压榨花生油", "5L×1", "FOOD-GRAIN", "BTL", "109.00", "82.00", "0.09", "12", "36", N, "48", "24"),
    _p("GRN-007", "非转基因菜籽油", "5L×1", "FOOD-GRAIN", "BTL", "79.90", "58.00", "0.09", "12", "36", N, "36", "0"),
    _p("GRN-008", "酿造酱油", "500ml×1", "FOOD-GRAIN", "BTL", "9.90", "5.80", "0.13", "36", "144", Y, "144", "72"),
    _p("GRN-009", "山西陈醋", "500ml×1", "FOOD-GRAIN", "BTL", "8.50", "4.90", "0.13", "36", "144", Y, "120", "60"),
    _p("GRN-010", "加碘食用盐", "400g", "FOOD-GRAIN", "PKG", "2.50", "1.40", "0.13", "48", "240", Y, "240", "120"),
    # 清洁用品
    _p("CLN-001", "薰衣草洗衣液", "3kg×1", "DAILY-CLEAN", "BTL", "39.90", "24.50", "0.13", "24", "72", N, "96", "48"),
    _p("CLN-002", "柠檬洗洁精", "1.29kg×1", "DAILY-CLEAN", "BTL", "14.90", "8.60", "0.13", "24", "96", Y, "120", "60"),
    _p(
        "CLN-003",
        "抽取式面巾纸",
        "3层130抽×6包",
        "DAILY-CLEAN",
        "PKG",
        "19.90",
        "12.50",
        "0.13",
        "36",
        "144",
        N,
        "150",
        "80",
    ),
    _p(
        "CLN-004",
        "加厚垃圾袋",
        "45×50cm 100只",
        "DAILY-CLEAN",
        "PKG",
        "9.90",
        "5.20",
        "0.13",
        "36",
        "144",
        Y,
        "144",
        "72",
    ),
    _p("CLN-005", "84消毒液", "1.2kg×1", "DAILY-CLEAN", "BTL", "12.90", "7.30", "0.13", "24", "96", Y, "96", "48"),
    _p("CLN-006", "洁厕灵", "500g×1", "DAILY-CLEAN", "BTL", "9.90", "5.60", "0.13", "24", "96", Y, "96", "36"),
    _p("CLN-007", "玻璃清洁剂", "500ml×1", "DAILY-CLEAN", "BTL", "12.50", "7.10", "0.13", "12", "48", Y, "60", "24"),
    _p("CLN-008", "百洁布", "10片装", "DAILY-CLEAN", "PKG", "6.90", "3.50", "0.13", "24", "96", Y, "120", "48"),
    _p("CLN-009", "无磷洗衣粉", "1.7kg", "DAILY-CLEAN", "PKG", "21.90", "13.80", "0.13", "24", "72", N, "72", "36"),
    _p(
        "CLN-010",
        "一次性丁腈手套",
        "M号 100只/盒",
        "DAILY-CLEAN",
        "PKG",
        "29.00",
        "17.50",
        "0.13",
        "12",
        "48",
        Y,
        "48",
        "24",
    ),
    # 个人护理
    _p("CAR-001", "薄荷牙膏", "120g", "DAILY-CARE", "PCS", "12.90", "7.40", "0.13", "36", "144", Y, "144", "72"),
    _p("CAR-002", "软毛牙刷", "成人 1支", "DAILY-CARE", "PCS", "8.90", "4.20", "0.13", "36", "144", Y, "144", "60"),
    _p("CAR-003", "去屑洗发水", "400ml×1", "DAILY-CARE", "BTL", "39.90", "23.80", "0.13", "12", "48", Y, "60", "24"),
    _p("CAR-004", "滋润沐浴露", "500ml×1", "DAILY-CARE", "BTL", "35.90", "21.00", "0.13", "12", "48", Y, "60", "24"),
    _p("CAR-005", "檀香香皂", "125g", "DAILY-CARE", "PCS", "5.50", "2.90", "0.13", "48", "192", Y, "192", "96"),
    _p("CAR-006", "抑菌洗手液", "500ml×1", "DAILY-CARE", "BTL", "16.90", "9.80", "0.13", "24", "96", Y, "96", "48"),
    _p("CAR-007", "婴儿湿巾", "80片", "DAILY-CARE", "PKG", "9.90", "5.50", "0.13", "36", "144", Y, "144", "72"),
    _p("CAR-008", "护手霜", "50g", "DAILY-CARE", "PCS", "15.90", "8.80", "0.13", "24", "72", Y, "72", "0"),
    # 纸品
    _p(
        "PAP-001",
        "复印纸",
        "A4 70g 500张/包",
        "OFFICE-PAPER",
        "PKG",
        "26.00",
        "19.50",
        "0.13",
        "50",
        "200",
        N,
        "250",
        "100",
    ),
    _p(
        "PAP-002",
        "复印纸",
        "A4 80g 500张/包",
        "OFFICE-PAPER",
        "PKG",
        "32.00",
        "24.00",
        "0.13",
        "30",
        "100",
        N,
        "150",
        "60",
    ),
    _p(
        "PAP-003",
        "复印纸",
        "A3 70g 500张/包",
        "OFFICE-PAPER",
        "PKG",
        "52.00",
        "39.00",
        "0.13",
        "10",
        "40",
        N,
        "40",
        "0",
    ),
    _p(
        "PAP-004", "便利贴", "76×76mm 100张", "OFFICE-PAPER", "PKG", "4.50", "2.20", "0.13", "48", "240", Y, "240", "96"
    ),
    _p(
        "PAP-005", "软面抄笔记本", "A5 80页", "OFFICE-PAPER", "PCS", "6.80", "3.60", "0.13", "48", "240", Y, "192", "96"
    ),
    _p(
        "PAP-006",
        "牛皮纸信封",
        "DL 220×110mm 100个/包",
        "OFFICE-PAPER",
        "PKG",
        "22.00",
        "13.00",
        "0.13",
        "12",
        "48",
        N,
        "48",
        "24",
    ),
    _p(
        "PAP-007",
        "二联无碳收据",
        "48K 50组/本",
        "OFFICE-PAPER",
        "PCS",
        "4.00",
        "2.10",
        "0.13",
        "48",
        "240",
        Y,
        "240",
        "120",
    ),
    _p("PAP-008", "PP档案盒", "A4 55mm", "OFFICE-PAPER", "PCS", "8.50", "4.80", "0.13", "24", "120", Y, "120", "48"),
    # 文具
    _p("STA-001", "中性笔", "0.5mm 黑色", "OFFICE-STAT", "PCS", "2.50", "1.10", "0.13", "120", "600", Y, "600", "240"),
    _p(
        "STA-002",
        "中性笔芯",
        "0.5mm 黑色 20支/盒",
        "OFFICE-STAT",
        "PKG",
        "18.00",
        "9.50",
        "0.13",
        "24",
        "96",
        Y,
        "96",
        "48",
    ),
    _p("STA-003", "圆珠笔", "0.7mm 蓝色", "OFFICE-STAT", "PCS", "1.50", "0.65", "0.13", "120", "600", Y, "480", "240"),
    _p("STA-004", "订书机", "12号 可订20页", "OFFICE-STAT", "PCS", "15.80", "8.90", "0.13", "12", "48", Y, "48", "24"),
    _p(
        "STA-005",
        "订书钉",
        "12号 1000枚/盒",
        "OFFICE-STAT",
        "PKG",
        "2.50",
        "1.10",
        "0.13",
        "60",
        "240",
        Y,
        "240",
        "120",
    ),
    _p("STA-006", "长尾夹", "32mm 12只/盒", "OFFICE-STAT", "PKG", "6.50", "3.30", "0.13", "24", "120", Y, "120", "48"),
    _p("STA-007", "美工刀", "18mm 大号", "OFFICE-STAT", "PCS", "5.90", "2.70", "0.13", "24", "96", Y, "96", "36"),
    _p("STA-008", "透明胶带", "48mm×100m", "OFFICE-STAT", "PCS", "6.00", "3.20", "0.13", "36", "144", Y, "144", "72"),
    _p("STA-009", "白板笔", "黑色 可擦", "OFFICE-STAT", "PCS", "3.80", "1.80", "0.13", "48", "240", Y, "240", "96"),
    _p("STA-010", "荧光笔", "黄色 斜头", "OFFICE-STAT", "PCS", "3.00", "1.30", "0.13", "48", "240", Y, "192", "96"),
    _p(
        "STA-011", "桌面计算器", "12位 太阳能", "OFFICE-STAT", "PCS", "39.00", "22.00", "0.13", "6", "24", N, "24", "12"
    ),
    _p("STA-012", "办公剪刀", "170mm", "OFFICE-STAT", "PCS", "9.90", "4.90", "0.13", "12", "48", Y, "0", "0"),
]

# Lot-tracked opening stock: sku → (shelf life in days, warehouse → [(days since production, quantity)]).
# Dates are relative to the load date so the demo never starts with expired stock; one lot of each
# product is close to its expiry date. Quantities add up to the opening quantities in PRODUCTS.
LOTS = {
    "DRK-008": (180, {"SH01": [(150, "240"), (20, "240")], "BJ01": [(30, "240")]}),
    "DRK-009": (21, {"SH01": [(16, "120"), (3, "120")], "BJ01": [(5, "120")]}),
}

# code, name, contact, phone, email, address, tax id head (registration type + 6-digit region code)
SUPPLIERS = [
    (
        "S001",
        "上海清泉饮品有限公司",
        "王建国",
        "021-58881234",
        "sales@qingquan-demo.example.com",
        "上海市松江区新桥镇民益路 201 号",
        "91310117",
    ),
    (
        "S002",
        "山东金穗粮油有限公司",
        "李秀英",
        "0531-88765432",
        "order@jinsui-demo.example.com",
        "山东省济南市章丘区明水经济开发区 12 号",
        "91370181",
    ),
    (
        "S003",
        "广州洁力日化有限公司",
        "陈志强",
        "020-36251188",
        "kefu@jieli-demo.example.com",
        "广东省广州市白云区太和镇龙归路 66 号",
        "91440111",
    ),
    (
        "S004",
        "宁波优品文具有限公司",
        "周丽华",
        "0574-87123456",
        "trade@youpin-demo.example.com",
        "浙江省宁波市宁海县跃龙街道兴工路 9 号",
        "91330226",
    ),
    (
        "S005",
        "福建闽南食品有限公司",
        "林海峰",
        "0595-22334455",
        "sales@minnan-demo.example.com",
        "福建省泉州市晋江市安海镇工业区 3 号",
        "91350582",
    ),
    (
        "S006",
        "江苏华纸业有限公司",
        "赵明",
        "0512-65432100",
        "paper@huazhi-demo.example.com",
        "江苏省苏州市吴江区松陵镇开发区 18 号",
        "91320509",
    ),
]
CUSTOMERS = [
    ("C001", "上海浦东好邻居便利店", "张伟", "13800138001", "", "上海市浦东新区张杨路 1200 号", "92310115"),
    (
        "C002",
        "北京朝阳鑫源超市有限公司",
        "刘洋",
        "010-85991234",
        "caigou@xinyuan-demo.example.com",
        "北京市朝阳区朝阳北路 101 号",
        "91110105",
    ),
    (
        "C003",
        "杭州西湖科技有限公司",
        "孙静",
        "0571-86001122",
        "admin@xihu-tech-demo.example.com",
        "浙江省杭州市西湖区文三路 478 号",
        "91330106",
    ),
    (
        "C004",
        "苏州工业园区星辰酒店管理有限公司",
        "吴敏",
        "0512-62881234",
        "purchase@xingchen-demo.example.com",
        "江苏省苏州市工业园区星湖街 328 号",
        "91320594",
    ),
    ("C005", "南京鼓楼区第三实验小学", "郑芳", "025-83334455", "", "江苏省南京市鼓楼区北京西路 15 号", "12320106"),
    ("C006", "天津和平惠民生鲜超市", "马强", "13902201234", "", "天津市和平区南京路 219 号", "92120101"),
]

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def gtin13(item: int) -> str:
    """GTIN-13 for a 5-digit item number under the demo company prefix 952 1234."""
    payload = f"{GS1_PREFIX}{item:05d}"
    return payload + str(gs1_check_digit(payload))


def _org_code(seq: int) -> str:
    """A 9-character 组织机构代码 (GB 11714): 8 digits and a check character."""
    body = f"{seq:08d}"
    total = sum(int(d) * w for d, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2)))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def uscc(stem: str, seq: int) -> str:
    """An 18-character 统一社会信用代码: 2-char type + 6-digit region (``stem``), org code, check char."""
    assert len(stem) == 8, stem
    body = stem + _org_code(seq)
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


async def demo_data_present(db: Database) -> bool:
    """True when the demo was loaded completely, or when the database has its own data in the way."""
    async with db.read() as conn:
        done = (await conn.execute(select(exists().where(idempotency_key.c.key == LAST_STEP_KEY)))).scalar()
        started = (await conn.execute(select(exists().where(idempotency_key.c.key == "demo-unit-PCS")))).scalar()
        has_unit = (await conn.execute(select(exists().where(unit.c.code == "PCS")))).scalar()
        has_wh = (await conn.execute(select(exists().where(warehouse.c.code == "SH01")))).scalar()
    return bool(done or ((has_unit or has_wh) and not started))


async def load_demo_data(db: Database, *, today: date | None = None) -> bool:
    """Load the demo company; ``False`` (and no change) when its data is already there.

    ``today`` (default: the current date) dates the lots of lot-tracked products; everything else
    is the same on every load.

    Not one transaction: each record is its own action with an idempotency key, so calling it again
    after an interruption replays what exists and creates the rest.
    """
    if await demo_data_present(db):
        return False
    today = today or clock.today()

    units = {}
    for code, name, name_en, precision in UNITS:
        units[code] = await do_create_unit(
            db, code=code, name=name, name_en=name_en, precision=precision, idempotency_key=f"demo-unit-{code}"
        )

    categories: dict[str, int] = {}
    top_of: dict[str, str] = {}
    for code, name, parent in CATEGORIES:
        categories[code] = await do_create_category(
            db,
            code=code,
            name=name,
            parent_id=categories[parent] if parent else None,
            idempotency_key=f"demo-category-{code}",
        )
        top_of[code] = top_of.get(parent, code) if parent else code

    # warehouse → top-level category → bins (location ids) of the zone that stores it
    bins: dict[str, dict[str, list[int]]] = {}
    warehouses: dict[str, int] = {}
    for wh_code, wh_name, address, zones in WAREHOUSES:
        warehouses[wh_code] = wh_id = await do_create_warehouse(
            db, code=wh_code, name=wh_name, address=address, idempotency_key=f"demo-warehouse-{wh_code}"
        )
        bins[wh_code] = {}
        for z, (letter, zone_name, tops) in enumerate(zones):
            zone_code = f"{wh_code}-{letter}"
            zone_id = await do_create_location(
                db,
                warehouse_id=wh_id,
                code=zone_code,
                name=zone_name,
                sort_order=(z + 1) * 100,
                idempotency_key=f"demo-location-{zone_code}",
            )
            zone_bins = []
            for row in range(1, BIN_ROWS + 1):
                for level in range(1, BIN_LEVELS + 1):
                    zone_bins.append(
                        await do_create_location(
                            db,
                            warehouse_id=wh_id,
                            code=f"{zone_code}-{row:02d}-{level:02d}",
                            name=f"{letter}区{row:02d}排{level:02d}层",
                            parent_id=zone_id,
                            sort_order=(z + 1) * 100 + row * 10 + level,
                            idempotency_key=f"demo-location-{zone_code}-{row:02d}-{level:02d}",
                        )
                    )
            for top in tops:
                bins[wh_code][top] = zone_bins

    partners: dict[str, int] = {}
    for kind, rows, serial_base, step in (
        ("supplier", SUPPLIERS, 56000000, 1297),
        ("customer", CUSTOMERS, 71000000, 3571),
    ):
        for i, (code, name, contact, phone, email, address, stem) in enumerate(rows, start=1):
            partners[code] = await do_create_partner(
                db,
                kind,
                PartnerInput(
                    code=code,
                    name=name,
                    contact_name=contact,
                    phone=phone,
                    email=email or None,
                    address=address,
                    tax_id=uscc(stem, serial_base + i * step),
                ),
                idempotency_key=f"demo-{kind}-{code}",
            )

    products: dict[str, int] = {}
    for n, p in enumerate(PRODUCTS, start=1):
        base = units[p.unit]
        alt_units, barcodes = [], [BarcodeInput(code=gtin13(n))]
        if p.box:
            alt_units.append(AltUnitInput(unit_id=units["BOX12"], factor="12"))
            barcodes.append(BarcodeInput(code=gtin13(BOX_ITEM_OFFSET + n), unit_id=units["BOX12"]))
        products[p.sku] = await do_create_product(
            db,
            ProductInput(
                sku=p.sku,
                name=p.name,
                spec=p.spec,
                category_id=categories[p.category],
                base_unit_id=base,
                sale_price=p.sale,
                purchase_price=p.purchase,
                vat_rate=p.vat,
                reorder_point=p.reorder_point,
                reorder_quantity=p.reorder_qty,
                tracking=p.tracking,
                units=alt_units,
                barcodes=barcodes,
            ),
            idempotency_key=f"demo-product-{p.sku}",
        )

    await _set_up_demo_books(db)
    bin_of: dict[tuple[str, str], int] = {}
    stock: list[OpeningStock] = []
    for wh_code, _, _, _ in WAREHOUSES:
        for n, p in enumerate(PRODUCTS):
            zone_bins = bins[wh_code][top_of[p.category]]
            location_id = bin_of[(wh_code, p.sku)] = zone_bins[n % len(zone_bins)]
            qty = getattr(p, wh_code.lower())
            if qty in ("0", ""):
                continue
            if p.tracking == "lot":
                shelf_life, lots = LOTS[p.sku]
                for age, lot_qty in lots[wh_code]:
                    made = today - timedelta(days=age)
                    stock.append(
                        OpeningStock(
                            products[p.sku],
                            location_id,
                            lot_qty,
                            unit_cost=p.purchase,
                            lot=f"L{made:%Y%m%d}",
                            expiry_date=made + timedelta(days=shelf_life),
                        )
                    )
            else:
                stock.append(OpeningStock(products[p.sku], location_id, qty, unit_cost=p.purchase))
    await _go_live(db, today, stock)
    await load_purchasing_demo(db, today, products, partners, warehouses, bin_of)
    await load_sales_demo(db, today, products, partners, warehouses, bin_of)
    from server.finance.poster import post_pending

    await post_pending(db)
    return True


async def _set_up_demo_books(db: Database) -> None:
    """The demo company keeps its books under 企业会计准则."""
    from server.finance.books import do_setup_books
    from server.finance.errors import FinanceError

    try:
        await do_setup_books(db, "enterprise", None)
    except FinanceError as exc:
        if exc.details[0].code != "ALREADY_SET_UP":
            raise


def go_live_of(today: date) -> date:
    """The demo company moved to jxc on the first day of the month before its oldest document (at most
    ``DOCUMENT_DAYS`` days before ``today``), so every month of its books has real dates."""
    return period_start(period_of(today - timedelta(days=DOCUMENT_DAYS)))


async def _go_live(db: Database, today: date, stock: list[OpeningStock]) -> None:
    """期初建账 as a real company does it: the go-live date, then one opening entry with the stock on its
    shelves, the owners' capital in the bank and the capital that stock stands for. Once posted (the
    entry is one transaction), a resumed load skips it."""
    if (await opening_status(db)).entries:
        return
    await do_set_go_live_date(db, go_live_of(today), None)
    stock_value = sum(
        int((Decimal(s.quantity) * Decimal(s.unit_cost or 0) * 100).to_integral_value(ROUND_HALF_UP)) for s in stock
    )
    capital = CAPITAL_FEN + stock_value
    accounts = [
        OpeningAccount("1002", debit=str(fen_to_decimal(CAPITAL_FEN))),
        OpeningAccount("4001", credit=str(fen_to_decimal(capital))),
    ]
    await do_post_opening(db, OpeningInput(stock=stock, accounts=accounts, memo=OPENING_MEMO), None)
