"""Import the platforms' order-export files (CSV or XLSX) for shops not yet on the API.

One row per order line, the platform's own column headers (see ``COLUMNS``); rows of one order
share its order number. An order with any bad row (a bad value, a row repeated exactly) is not
imported, every other order is, and every bad row is reported with its row number as the user
sees it in Excel (the header is row 1, blank rows count) and its column. The file is read a row
at a time (XLSX in read-only mode) and refused whole past ``MAX_ROWS`` rows. The import is an
upsert, so importing the same file twice changes nothing; ``dry_run`` does all the work inside a
transaction and rolls it back, so the preview says exactly what a real import would do.
"""

from __future__ import annotations

import codecs
import csv
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session

from oms_tui.errors import OmsError, ValidationError
from oms_tui.i18n import N_, _
from oms_tui.models import Order, OrderLine
from oms_tui.money import InvalidAmount, yuan_to_fen
from oms_tui.services.approvals import requests as approval_requests
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.orders import upsert
from oms_tui.services.orders.normalized import (
    NormalizedLine,
    NormalizedOrder,
    PlatformState,
)

BEIJING = ZoneInfo("Asia/Shanghai")
# Order rows per file (the header and blank rows not counted); a bigger file is refused whole, before
# anything is imported — split it. ``Settings.import_max_rows`` overrides it for `oms import`.
MAX_ROWS = 100_000
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")

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
    row: int  # as the spreadsheet numbers it: header is row 1, blank rows counted
    column: str
    template: str  # English, N_()-marked; shown as _(template).format(**params)
    params: dict[str, Any] = field(default_factory=dict)
    order_id: str = ""

    @property
    def message(self) -> str:
        return _(self.template).format(**self.params)

    def __str__(self) -> str:
        if self.column:
            text = _("row {row}, {column}: {message}").format(row=self.row, column=self.column, message=self.message)
        else:
            text = _("row {row}: {message}").format(row=self.row, message=self.message)
        return text + (_(" (order {order})").format(order=self.order_id) if self.order_id else "")


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


@dataclass(frozen=True)
class SheetRow:
    number: int  # as the spreadsheet shows it: header is row 1, blank rows counted
    values: dict[str, str]  # header → text


@dataclass
class Sheet:
    header: list[str]
    rows: list[SheetRow]  # the rows that are not blank


def read_sheet(path: Path, *, max_rows: int = MAX_ROWS) -> Sheet:
    """The file's header and non-blank rows, read one row at a time. CSV in UTF-8 (with or without
    BOM) or GB18030; XLSX (the first sheet). More than ``max_rows`` rows is refused whole."""
    if not path.is_file():
        raise ValidationError(N_("no such file: {path}"), path=path)
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        records = _xlsx_records(path)
    elif suffix in CSV_SUFFIXES:
        records = _csv_records(path)
    else:
        raise ValidationError(N_("{name}: import takes .csv or .xlsx files"), name=path.name)
    header: list[str] | None = None
    rows: list[SheetRow] = []
    number = 0
    try:
        with closing(records):  # stopping early closes the file (and the workbook) now
            for number, cells in enumerate(records, start=1):
                if header is None:
                    header = cells
                    continue
                if not any(cells):
                    continue
                if len(rows) >= max_rows:
                    raise ValidationError(N_("{name} has more than {max} order rows: nothing was imported; split "
                                             "it into files of at most {max} rows"), name=path.name, max=max_rows)
                rows.append(SheetRow(number, dict(zip(header, cells))))
    except csv.Error as exc:  # a field over the csv module's size limit
        raise ValidationError(N_("{name}, row {row}: cannot read the row: {reason}"),
                              name=path.name, row=number + 1, reason=exc) from None
    except UnicodeDecodeError:  # not text at all: neither UTF-8 nor GB18030
        raise ValidationError(N_("{name}: not a text file in UTF-8 or GB18030"), name=path.name) from None
    return Sheet(header or [], rows)


def _xlsx_records(path: Path) -> Iterator[list[str]]:
    """Every row of the first sheet as texts, blank rows as empty lists, streamed (read-only mode)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # corrupt zip, not a workbook
        raise ValidationError(N_("{name} is not a readable XLSX file: {reason}"),
                              name=path.name, reason=exc) from None
    try:
        sheet = book.worksheets[0]
        # Exporters often write a wrong <dimension>: read the cells that are there, not what it claims.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # broken XML further into the sheet
                raise ValidationError(N_("{name} is not a readable XLSX file: {reason}"),
                                      name=path.name, reason=exc) from None
            cells = [_cell_text(v) for v in row]
            while cells and not cells[-1]:
                cells.pop()
            yield cells
    finally:
        book.close()


def _csv_records(path: Path) -> Iterator[list[str]]:
    """Every record of the CSV file as texts (a quoted line break stays inside its row, as in
    Excel), blank lines as empty lists, streamed."""
    with path.open(encoding=_csv_encoding(path), newline="") as handle:
        for record in csv.reader(handle):
            # A leading tab or apostrophe is how exports keep long numbers from turning into 1.2E+17.
            cells = [value.strip().lstrip("\t'") for value in record]
            while cells and not cells[-1]:
                cells.pop()
            yield cells


def _csv_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as such, else GB18030 (the exports' other encoding)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 16):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


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


@dataclass
class ParsedOrder:
    order: NormalizedOrder
    rows: list[int]  # its row numbers in the file


def parse(sheet: Sheet, platform: str, *, shop: str = "") -> tuple[list[ParsedOrder], list[RowError], int]:
    """Rows → normalized orders, the row errors, and how many orders were refused for them.

    An order is taken whole or not at all: a bad value refuses its row, and with it the rest of
    that order (a parcel without one of its lines would ship short); every other order is taken.
    A row repeated exactly is refused too (naming the first), never added up into a bigger line.
    """
    if platform not in COLUMNS:
        raise ValidationError(N_("unknown platform {platform!r}: taobao, jd or pdd"), platform=platform)
    columns = COLUMNS[platform]
    errors: list[RowError] = []
    if sheet.header or sheet.rows:
        missing = [columns[f] for f in REQUIRED if columns[f] not in sheet.header]
        if missing:
            raise ValidationError(N_("not a {platform} order export: missing column(s) {columns}"),
                                  platform=platform, columns=", ".join(missing))
    grouped: OrderedDict[str, list[tuple[int, dict[str, str]]]] = OrderedDict()
    first_seen: dict[tuple[tuple[str, str], ...], int] = {}
    duplicates: dict[str, list[RowError]] = {}
    for row in sheet.rows:
        order_id = row.values.get(columns["order_id"], "").strip()
        if not order_id:
            errors.append(RowError(row.number, columns["order_id"], N_("order number is empty")))
            continue
        grouped.setdefault(order_id, []).append((row.number, row.values))
        key = tuple(sorted(row.values.items()))
        if key in first_seen:
            duplicates.setdefault(order_id, []).append(RowError(
                row.number, "", N_("the same as row {first}: a repeated row is not added up"),
                {"first": first_seen[key]}, order_id))
        else:
            first_seen[key] = row.number
    result: list[ParsedOrder] = []
    refused = 0
    for order_id, numbered in grouped.items():
        before = len(errors)
        order = _parse_order(platform, shop, order_id, numbered, columns, errors)
        errors.extend(duplicates.get(order_id, ()))
        if order is None or len(errors) > before:
            refused += 1
            continue
        result.append(ParsedOrder(order, [number for number, _row in numbered]))
    return result, errors, refused


def _parse_order(platform, shop, order_id, numbered, columns, errors) -> NormalizedOrder | None:  # noqa: ANN001
    first_number, first = numbered[0]

    def get(row, key):  # noqa: ANN001, ANN202
        return row.get(columns.get(key, ""), "").strip()

    def fail(number, key, template, **params):  # noqa: ANN001, ANN202
        errors.append(RowError(number, columns.get(key, key), template, params, order_id))

    def fits(number, key, value, column):  # noqa: ANN001, ANN202
        limit = column.type.length
        if limit is not None and len(value) > limit:
            fail(number, key, N_("longer than {limit} characters"), limit=limit)
            return False
        return True

    fits(first_number, "order_id", order_id, Order.__table__.c.platform_order_id)
    status_text = get(first, "status")
    state = STATUS_TEXT[platform].get(status_text)
    if state is None:
        fail(first_number, "status", N_("unknown order status {status!r}"), status=status_text)
    lines = []
    for number, row in numbered:
        code = get(row, "sku")
        if not code:
            fail(number, "sku", N_("merchant SKU code is empty"))
        elif not fits(number, "sku", code, OrderLine.__table__.c.sku_code):
            code = ""
        title = get(row, "title")
        fits(number, "title", title, OrderLine.__table__.c.title)
        try:
            amount = Decimal(get(row, "qty"))
            if not amount.is_finite() or amount <= 0 or amount != amount.to_integral_value():
                raise InvalidOperation
            qty = int(amount)
        except (InvalidOperation, ValueError):
            fail(number, "qty", N_("quantity must be a positive whole number, got {value!r}"), value=get(row, "qty"))
            qty = 0
        try:
            price = _fen(get(row, "price"))
        except (InvalidOperation, ValueError):
            fail(number, "price", N_("not an amount: {value!r}"), value=get(row, "price"))
            price = 0
        if code and qty > 0:
            try:
                lines.append(NormalizedLine(sku_code=code, title=title, qty=qty, price_fen=price))
            except PydanticValidationError as exc:  # beyond limits.py's bounds
                problem = exc.errors()[0]
                field = {"price_fen": "price"}.get(str(problem["loc"][0]), str(problem["loc"][0]))
                fail(number, field, f"{problem['msg']}: {problem['input']!r}")
    amounts = {}
    for key in ("paid", "total", "post_fee"):
        try:
            amounts[key] = _fen(get(first, key))
        except (InvalidOperation, ValueError):
            fail(first_number, key, N_("not an amount: {value!r}"), value=get(first, key))
    times = {}
    for key in ("created", "paid_at"):
        text = get(first, key)
        if not text:
            if key == "created":
                fail(first_number, key, N_("time is empty"))
            continue
        try:
            times[key] = _time(text)
        except ValueError:
            fail(first_number, key, N_("not a time (YYYY-MM-DD HH:MM:SS): {value!r}"), value=text)
    if "province" in columns:
        province, city, district, detail = (get(first, k) for k in ("province", "city", "district", "address"))
        place_keys = ("province", "city", "district")
    else:
        province, city, district, detail = _split_address(get(first, "address"))
        place_keys = ("address",) * 3  # split out of the one address column
    texts = [("status", status_text, "platform_status"), ("buyer", get(first, "buyer"), "buyer_id"),
             ("name", get(first, "name"), "receiver_name"), ("phone", get(first, "phone"), "receiver_phone"),
             ("remark", get(first, "remark"), "buyer_remark"),
             *zip(place_keys, (province, city, district), ("receiver_province", "receiver_city", "receiver_district"))]
    for key, value, column in texts:
        fits(first_number, key, value, Order.__table__.c[column])
    if state is None or "created" not in times or not lines or len(amounts) < 3:
        return None
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
        fail(first_number, "", N_("invalid order: {reason}"), reason=exc.errors()[0]["msg"])
        return None


def import_file(engine: Engine, path: Path, platform: str, *, shop: str = "", dry_run: bool = False,
                warehouse_code: str | None = None, actor: Actor, max_rows: int = MAX_ROWS) -> ImportReport:
    """Import (or with ``dry_run`` preview) one export file; a file over ``max_rows`` rows is refused whole."""
    require(actor, "intake.import")
    user = actor.name
    sheet = read_sheet(path, max_rows=max_rows)
    parsed, errors, refused = parse(sheet, platform, shop=shop or f"{platform}-import")
    report = ImportReport(platform=platform, rows=len(sheet.rows), orders=len(parsed) + refused, refused=refused,
                          errors=errors, dry_run=dry_run)
    with Session(engine, expire_on_commit=False) as session:
        warehouse = catalogue.default_warehouse(session, warehouse_code)
        for item in parsed:
            try:
                with session.begin_nested():  # one order the database refuses leaves the others in
                    result = upsert.upsert_order(session, item.order, warehouse=warehouse, user=user)
                    if result.created:  # a large order or a custom item stops itself for approval
                        approval_requests.on_new_order(session, result.order, user=user)
            except (OmsError, IntegrityError, DataError) as exc:
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                report.errors.append(RowError(item.rows[0], "", N_("order refused: {reason}"), {"reason": reason},
                                              item.order.platform_order_id))
                report.refused += 1
                continue
            setattr(report, result.outcome, getattr(report, result.outcome) + 1)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return report
