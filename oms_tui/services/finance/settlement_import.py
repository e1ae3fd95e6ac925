"""Importing a platform's settlement / bill export (结算账单, CSV or XLSX) for one month.

Each platform names its columns differently; ``MAPPINGS`` lists, per platform, the headers that may
carry the order number, the amount paid out for it and the amount refunded. The header row is the first
row that has an order-number column (the Alipay export starts with ``#`` comment lines). Several rows
for one order (a sale, then a refund) are summed. The whole file is checked before anything is stored:
a missing column or an amount that is not one names the row and changes nothing.

The column names are *(unconfirmed)*: taken from the exports' public descriptions and sellers' forum
posts, not from a specification — a bill with other headers is refused with the headers we look for.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlmodel import Session

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_
from oms_tui.limits import MAX_FEN
from oms_tui.models import Platform, SettlementImport, SettlementLine
from oms_tui.names import PLATFORM_NAMES
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.core import xlsx
from oms_tui.services.finance.reconciliation import month_range

MAX_ROWS = 200_000
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class BillColumns:
    """The headers one platform's bill may use for each field (the first found wins)."""

    order: tuple[str, ...]
    amount: tuple[str, ...]
    refund: tuple[str, ...] = ()  # optional: a bill without it refunds nothing


MAPPINGS: dict[str, BillColumns] = {
    # 支付宝账务明细 / 淘宝账单 *(unconfirmed)*: income and expense in separate columns, expense as "-12.00".
    Platform.TAOBAO: BillColumns(order=("业务基础订单号", "商户订单号", "淘宝订单号", "订单号"),
                                 amount=("收入金额（+元）", "收入金额(+元)", "收入金额"),
                                 refund=("支出金额（-元）", "支出金额(-元)", "支出金额")),
    # 京东 结算单明细 *(unconfirmed)*
    Platform.JD: BillColumns(order=("订单编号", "订单号"), amount=("应结金额", "货款金额", "结算金额"),
                             refund=("退款金额",)),
    # 拼多多 货款明细 *(unconfirmed)*
    Platform.PDD: BillColumns(order=("订单编号", "商户订单号", "订单号"),
                              amount=("收入金额(元)", "收入金额（元）", "收入金额"),
                              refund=("支出金额(元)", "支出金额（元）", "支出金额")),
}


@dataclass
class ParsedBill:
    platform: str
    rows: int = 0  # rows with an order number
    lines: dict[str, tuple[int, int]] = field(default_factory=dict)  # order → (amount, refund) in fen


@dataclass(frozen=True)
class ImportSummary:
    import_id: int
    platform: str
    month: str
    rows: int
    orders: int
    amount_fen: int
    refund_fen: int


def _platform(platform: str) -> str:
    if platform not in MAPPINGS:
        raise ValidationError(N_("unknown platform {platform!r}: use one of {known}"), platform=platform,
                              known=", ".join(MAPPINGS))
    return platform


def read_table(path: str | Path) -> list[list[Any]]:
    """The rows of a CSV (UTF-8 or GB18030, as the platforms export) or XLSX file."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(N_("no such file: {path}"), path=str(path))
    if path.stat().st_size > MAX_BYTES:
        raise ValidationError(N_("{path} is larger than {mb} MB; split it by month"), path=path.name,
                              mb=MAX_BYTES // (1024 * 1024))
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        try:
            return xlsx.read_rows(path)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
            raise ValidationError(N_("{path} is not a readable .xlsx file ({error})"), path=path.name,
                                  error=type(exc).__name__) from None
    if suffix in (".csv", ".txt"):
        data = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(N_("{path} is neither UTF-8 nor GBK text"), path=path.name)
        try:
            return [row for row in csv.reader(io.StringIO(text))]
        except csv.Error as exc:
            raise ValidationError(N_("{path} is not a readable CSV file ({error})"), path=path.name,
                                  error=str(exc)) from None
    raise ValidationError(N_("{path}: a bill must be a .csv or .xlsx file"), path=path.name)


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an order number Excel stored as a number
    # Exports guard long numbers from Excel with a tab, a quote or ="…"
    text = str(value).strip().strip("\t").lstrip("'`")
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return text.strip()


def _fen(value: Any, row: int, column: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        raise ValidationError(N_("row {row}: {column} {value!r} is not an amount"), row=row, column=column,
                              value=value)
    text = _clean(value).replace(",", "").replace("¥", "").replace("￥", "")
    try:
        amount = abs(Decimal(repr(value) if isinstance(value, float) else text))
    except InvalidOperation:
        raise ValidationError(N_("row {row}: {column} {value!r} is not an amount"), row=row, column=column,
                              value=_clean(value)[:40]) from None
    fen = amount * 100
    if not amount.is_finite() or fen != fen.to_integral_value() or fen > MAX_FEN:
        raise ValidationError(N_("row {row}: {column} {value!r} is not an amount in yuan and fen"), row=row,
                              column=column, value=_clean(value)[:40])
    return int(fen)


def _find(header: Sequence[str], names: Sequence[str]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def parse_bill(platform: str, rows: Sequence[Sequence[Any]]) -> ParsedBill:
    """Read a bill's rows by the platform's column mapping; ValidationError naming what is wrong."""
    columns = MAPPINGS[_platform(platform)]
    start = next((i for i, row in enumerate(rows[:50]) if _find([_clean(c) for c in row], columns.order) is not None),
                 None)
    if start is None:
        raise ValidationError(N_("this is not a {platform} bill: no column named {names}"),
                              platform=PLATFORM_NAMES[platform], names=" / ".join(columns.order),
                              translated=("platform",))
    header = [_clean(c) for c in rows[start]]
    order_at = _find(header, columns.order)
    amount_at = _find(header, columns.amount)
    if amount_at is None:
        raise ValidationError(N_("the bill has no amount column: expected one of {names}"),
                              names=" / ".join(columns.amount))
    refund_at = _find(header, columns.refund)
    bill = ParsedBill(platform)
    body = rows[start + 1:]
    if len(body) > MAX_ROWS:
        raise ValidationError(N_("the bill has {count} rows, more than {most}; split it"), count=len(body),
                              most=MAX_ROWS)
    for number, row in enumerate(body, start=start + 2):
        cells = list(row) + [None] * (len(header) - len(row))
        order = _clean(cells[order_at])
        if not order or order.startswith("#") or order in ("合计", "总计"):
            continue  # a blank line, a comment or the totals
        if len(order) > 64:
            raise ValidationError(N_("row {row}: {value!r} is too long for an order number"), row=number,
                                  value=order[:80])
        amount = _fen(cells[amount_at], number, header[amount_at])
        refund = _fen(cells[refund_at], number, header[refund_at]) if refund_at is not None else 0
        had_amount, had_refund = bill.lines.get(order, (0, 0))
        if had_amount + amount > MAX_FEN or had_refund + refund > MAX_FEN:
            raise ValidationError(N_("row {row}: order {order} adds up to more than {most} fen"), row=number,
                                  order=order, most=MAX_FEN)
        bill.lines[order] = (had_amount + amount, had_refund + refund)
        bill.rows += 1
    if not bill.lines:
        raise ValidationError(N_("the bill has no order rows"))
    return bill


def import_settlement(session: Session, actor: Actor, platform: str, month: str, path: str | Path) -> ImportSummary:
    """Read the bill at ``path`` and keep it as ``platform``'s bill for ``month`` (the latest one counts)."""
    require(actor, "finance.import")
    _platform(platform)
    month_range(month)  # a malformed month or platform is refused before the file is read
    bill = parse_bill(platform, read_table(path))
    record = SettlementImport(platform=platform, month=month, filename=Path(path).name[:300], rows=bill.rows,
                              imported_by=actor.name)
    session.add(record)
    session.flush()
    session.execute(SettlementLine.__table__.insert(), [
        {"import_id": record.id, "platform_order_id": order, "amount_fen": amount, "refund_fen": refund}
        for order, (amount, refund) in sorted(bill.lines.items())])
    amount = sum(a for a, _r in bill.lines.values())
    refund = sum(r for _a, r in bill.lines.values())
    audit.record(session, actor.name, "settlement.import", "settlement", record.id, platform=platform, month=month,
                 file=record.filename, rows=bill.rows, orders=len(bill.lines), amount_fen=amount, refund_fen=refund)
    return ImportSummary(record.id, platform, month, bill.rows, len(bill.lines), amount, refund)
