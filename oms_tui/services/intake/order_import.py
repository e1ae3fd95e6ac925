"""Import the platforms' order-export files (CSV or XLSX) for shops not yet on the API.

One row per order line, the platform's own column headers (see ``COLUMNS``); rows of one order
share its order number. An order with any bad row is not imported and every bad row is
reported with its row number and column. The import is an upsert, so importing the same file
twice changes nothing; ``dry_run`` does all the work inside a transaction and rolls it back, so
the preview says exactly what a real import would do.
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from oms_tui.errors import ValidationError
from oms_tui.money import InvalidAmount, yuan_to_fen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.orders import upsert
from oms_tui.services.orders.normalized import (
    NormalizedLine,
    NormalizedOrder,
    PlatformState,
)

BEIJING = ZoneInfo("Asia/Shanghai")

# Our field → the header the platform's export uses. Headers follow the sellers' back-office
# exports (千牛 / 京麦 / 拼多多商家后台) as commonly seen; adjust here if a platform renames one.
COLUMNS: dict[str, dict[str, str]] = {
    "taobao": {
        "order_id": "订单编号", "buyer": "买家会员名", "status": "订单状态", "paid": "买家实际支付金额",
        "total": "总金额", "post_fee": "运费", "name": "收货人姓名", "phone": "联系手机", "address": "收货地址",
        "remark": "买家留言", "created": "订单创建时间", "paid_at": "订单付款时间", "sku": "商家编码",
        "title": "宝贝标题", "qty": "购买数量", "price": "价格",
    },
    "jd": {
        "order_id": "订单号", "buyer": "下单帐号", "status": "订单状态", "paid": "应付金额", "total": "订单金额",
        "post_fee": "运费金额", "name": "客户姓名", "phone": "联系电话", "address": "客户地址", "remark": "订单备注",
        "created": "下单时间", "paid_at": "付款确认时间", "sku": "商家SKU", "title": "商品名称",
        "qty": "订购数量", "price": "京东价",
    },
    "pdd": {
        "order_id": "订单号", "buyer": "买家ID", "status": "订单状态", "paid": "用户实付金额(元)",
        "total": "商品总价(元)", "post_fee": "邮费(元)", "name": "收货人", "phone": "手机", "province": "省",
        "city": "市", "district": "区", "address": "街道", "remark": "买家留言", "created": "订单成交时间",
        "paid_at": "支付时间", "sku": "商家编码-SKU维度", "title": "商品", "qty": "商品数量(件)",
        "price": "商品单价(元)",
    },
}
REQUIRED = ("order_id", "status", "sku", "qty", "created")

STATUS_TEXT: dict[str, dict[str, PlatformState]] = {
    "taobao": {
        "等待买家付款": PlatformState.AWAITING_PAYMENT, "买家已付款，等待卖家发货": PlatformState.PAID,
        "等待卖家发货": PlatformState.PAID, "卖家已发货，等待买家确认": PlatformState.SHIPPED,
        "交易成功": PlatformState.FINISHED, "交易关闭": PlatformState.CANCELLED,
    },
    "jd": {
        "等待付款": PlatformState.AWAITING_PAYMENT, "等待出库": PlatformState.PAID, "等待确认收货": PlatformState.SHIPPED,
        "完成": PlatformState.FINISHED, "已取消": PlatformState.CANCELLED, "锁定": PlatformState.PAID,
    },
    "pdd": {
        "待支付": PlatformState.AWAITING_PAYMENT, "待发货": PlatformState.PAID, "已发货，待收货": PlatformState.SHIPPED,
        "待收货": PlatformState.SHIPPED, "已收货": PlatformState.FINISHED, "已签收": PlatformState.FINISHED,
        "已取消": PlatformState.CANCELLED, "已关闭": PlatformState.CANCELLED,
    },
}


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it: header is row 1
    column: str
    message: str
    order_id: str = ""

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}" + (f" (order {self.order_id})" if self.order_id else "")


@dataclass
class ImportReport:
    platform: str
    rows: int = 0
    orders: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    refused: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"platform": self.platform, "rows": self.rows, "orders": self.orders, "new": self.new,
                "updated": self.updated, "unchanged": self.unchanged, "skipped": self.skipped,
                "refused": self.refused, "dry_run": self.dry_run,
                "errors": [{"row": e.row, "column": e.column, "message": e.message, "order_id": e.order_id}
                           for e in self.errors]}


def read_rows(path: Path) -> list[dict[str, str]]:
    """The file's rows as header → text. CSV in UTF-8 (with or without BOM) or GB18030; XLSX."""
    if not path.is_file():
        raise ValidationError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # corrupt zip, not a workbook
            raise ValidationError(f"{path.name} is not a readable XLSX file: {exc}") from None
        sheet = book.worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
        book.close()
        if not values:
            return []
        header = [str(h).strip() if h is not None else "" for h in values[0]]
        return [{h: _cell_text(v) for h, v in zip(header, row)} for row in values[1:]
                if any(v not in (None, "") for v in row)]
    if suffix not in (".csv", ".txt"):
        raise ValidationError(f"{path.name}: import takes .csv or .xlsx files")
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ValidationError(f"{path.name}: cannot tell the file's encoding")
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        cleaned = {(k or "").strip(): (v or "").strip().lstrip("\t'") for k, v in row.items()}
        if any(cleaned.values()):
            rows.append(cleaned)
    return rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _fen(text: str) -> int:
    """An export's amount ("1,299.00", "¥39.80", empty for none) as fen; the strict parser the
    adapters use does the rest (no NaN/Infinity, no negatives, no fractions of a fen)."""
    try:
        return yuan_to_fen(text.replace("¥", "").replace("￥", "").replace(",", "").strip() or "0")
    except InvalidAmount:
        raise InvalidOperation from None


def _time(text: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    raise ValueError(text)


def _split_address(full: str) -> tuple[str, str, str, str]:
    """'浙江省 杭州市 西湖区 文三路100号' → its four parts (exports put spaces between them)."""
    parts = full.split()
    while len(parts) < 4:
        parts.append("")
    return parts[0], parts[1], parts[2], " ".join(parts[3:])


def parse(rows: list[dict[str, str]], platform: str, *, shop: str = "") -> tuple[list[NormalizedOrder], list[RowError], int]:
    """Rows → normalized orders, the row errors, and how many orders were refused for them."""
    if platform not in COLUMNS:
        raise ValidationError(f"unknown platform {platform!r}: taobao, jd or pdd")
    columns = COLUMNS[platform]
    errors: list[RowError] = []
    if rows:
        missing = [columns[f] for f in REQUIRED if columns[f] not in rows[0]]
        if missing:
            raise ValidationError(f"not a {platform} order export: missing column(s) {', '.join(missing)}")
    grouped: OrderedDict[str, list[tuple[int, dict[str, str]]]] = OrderedDict()
    for number, row in enumerate(rows, start=2):
        order_id = row.get(columns["order_id"], "").strip()
        if not order_id:
            errors.append(RowError(number, columns["order_id"], "order number is empty"))
            continue
        grouped.setdefault(order_id, []).append((number, row))
    result: list[NormalizedOrder] = []
    refused = 0
    for order_id, numbered in grouped.items():
        before = len(errors)
        order = _parse_order(platform, shop, order_id, numbered, columns, errors)
        if order is None or len(errors) > before:
            refused += 1
            continue
        result.append(order)
    return result, errors, refused


def _parse_order(platform, shop, order_id, numbered, columns, errors) -> NormalizedOrder | None:  # noqa: ANN001
    first_number, first = numbered[0]

    def get(row, key):  # noqa: ANN001, ANN202
        return row.get(columns.get(key, ""), "").strip()

    def fail(number, key, message):  # noqa: ANN001, ANN202
        errors.append(RowError(number, columns.get(key, key), message, order_id))

    status_text = get(first, "status")
    state = STATUS_TEXT[platform].get(status_text)
    if state is None:
        fail(first_number, "status", f"unknown order status {status_text!r}")
    lines = []
    for number, row in numbered:
        code = get(row, "sku")
        if not code:
            fail(number, "sku", "merchant SKU code is empty")
        try:
            amount = Decimal(get(row, "qty"))
            if not amount.is_finite() or amount <= 0 or amount != amount.to_integral_value():
                raise InvalidOperation
            qty = int(amount)
        except (InvalidOperation, ValueError):
            fail(number, "qty", f"quantity must be a positive whole number, got {get(row, 'qty')!r}")
            qty = 0
        try:
            price = _fen(get(row, "price"))
        except (InvalidOperation, ValueError):
            fail(number, "price", f"not an amount: {get(row, 'price')!r}")
            price = 0
        if code and qty > 0:
            try:
                lines.append(NormalizedLine(sku_code=code, title=get(row, "title"), qty=qty, price_fen=price))
            except PydanticValidationError as exc:  # beyond limits.py's bounds
                problem = exc.errors()[0]
                field = {"price_fen": "price"}.get(str(problem["loc"][0]), str(problem["loc"][0]))
                fail(number, field, f"{problem['msg']}: {problem['input']!r}")
    amounts = {}
    for key in ("paid", "total", "post_fee"):
        try:
            amounts[key] = _fen(get(first, key))
        except (InvalidOperation, ValueError):
            fail(first_number, key, f"not an amount: {get(first, key)!r}")
    times = {}
    for key in ("created", "paid_at"):
        text = get(first, key)
        if not text:
            if key == "created":
                fail(first_number, key, "time is empty")
            continue
        try:
            times[key] = _time(text)
        except ValueError:
            fail(first_number, key, f"not a time (YYYY-MM-DD HH:MM:SS): {text!r}")
    if state is None or "created" not in times or not lines or len(amounts) < 3:
        return None
    if "province" in columns:
        province, city, district, detail = (get(first, k) for k in ("province", "city", "district", "address"))
    else:
        province, city, district, detail = _split_address(get(first, "address"))
    try:
        return NormalizedOrder(
            platform=platform, platform_order_id=order_id, shop=shop, state=state, platform_status=status_text,
            buyer_id=get(first, "buyer"), receiver_name=get(first, "name"), receiver_phone=get(first, "phone"),
            receiver_province=province, receiver_city=city, receiver_district=district, receiver_address=detail,
            buyer_remark=get(first, "remark"), total_fen=amounts["total"], paid_fen=amounts["paid"],
            post_fee_fen=amounts["post_fee"], created_at=times["created"], paid_at=times.get("paid_at"),
            modified_at=times.get("paid_at") or times["created"], lines=lines,
        )
    except PydanticValidationError as exc:
        fail(first_number, "", f"invalid order: {exc.errors()[0]['msg']}")
        return None


def import_file(engine: Engine, path: Path, platform: str, *, shop: str = "", dry_run: bool = False,
                warehouse_code: str | None = None, actor: Actor) -> ImportReport:
    """Import (or with ``dry_run`` preview) one export file."""
    require(actor, "intake.import")
    user = actor.name
    rows = read_rows(path)
    parsed, errors, refused = parse(rows, platform, shop=shop or f"{platform}-import")
    report = ImportReport(platform=platform, rows=len(rows), orders=len(parsed) + refused, refused=refused,
                          errors=errors, dry_run=dry_run)
    with Session(engine, expire_on_commit=False) as session:
        warehouse = catalogue.default_warehouse(session, warehouse_code)
        for order in parsed:
            result = upsert.upsert_order(session, order, warehouse=warehouse, user=user)
            setattr(report, result.outcome, getattr(report, result.outcome) + 1)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return report
