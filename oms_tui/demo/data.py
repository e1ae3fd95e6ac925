"""Demo data: the catalogue, customers, users and a few weeks of orders for `oms demo`.

Everything goes through the real services (catalogue, inventory, orders, holds), so the demo
database has the same ledger and audit trail a shop's would, and `oms check` passes on it.
Orders are planned up front from ``random.Random(seed)`` and then applied oldest first, so the
same seed on the same catalogue gives the same orders, statuses and waybills.
"""

from __future__ import annotations

import json
import random
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from oms_tui.config import default_data_dir
from oms_tui.db import read_session, session_scope
from oms_tui.errors import ValidationError
from oms_tui.models import (
    Customer,
    Hold,
    HoldKind,
    Order,
    OrderStatus,
    Sku,
    StockLevel,
    Warehouse,
    utcnow,
)
from oms_tui.services.approvals import decisions
from oms_tui.services.approvals import requests as approval_requests
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from oms_tui.services.customers import identity
from oms_tui.services.orders import actions, allocation, holds, intake_rules, lifecycle, upsert
from oms_tui.services.orders.normalized import (
    NormalizedLine,
    NormalizedOrder,
    PlatformState,
)
from oms_tui.services.stock import ledger, reservations

# One demo user per role. The PINs are public (the README prints them): demo databases only.
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("cs1", "1111", ("cs",)),
    ("cslead", "1212", ("cs_lead",)),
    ("wh1", "2222", ("warehouse",)),
    ("whlead", "2323", ("warehouse_lead",)),
    ("buyer1", "3333", ("purchasing",)),
    ("finance1", "4444", ("finance",)),
    ("manager", "9999", ("manager",)),
    ("admin", "0000", ("admin",)),
)
_DISPLAY_NAMES = {
    "cs1": "客服 小周", "cslead": "客服主管 李娜", "wh1": "仓管 王强", "whlead": "仓库主管 赵刚",
    "buyer1": "采购 陈静", "finance1": "财务 刘洋", "manager": "店长 张伟", "admin": "系统管理员",
}

DEMO_WAREHOUSE = "WH1"
BATCH_SIZE = 200
CHINA_TZ = ZoneInfo("Asia/Shanghai")  # platforms date their order numbers in Beijing time

DEMO_SHOPS = _SHOPS = {"taobao": "家居母婴天猫旗舰店", "jd": "家居母婴京东旗舰店", "pdd": "家居母婴拼多多专营店",
                       "douyin": "家居母婴抖音小店"}
_PAID_STATUS = {"taobao": "WAIT_SELLER_SEND_GOODS", "jd": "WAIT_SELLER_STOCK_OUT", "pdd": "1"}
_PLATFORM_WEIGHTS = {"taobao": 50, "pdd": 30, "jd": 20}
_PLATFORM_PRICE = {"taobao": 1.0, "jd": 1.0, "pdd": 0.92}  # PDD listings run a little cheaper
_CATEGORY_WEIGHTS = {"纸尿裤": 6.0, "湿巾棉柔巾": 5.0, "毛巾浴巾": 3.0, "清洁用品": 3.0, "奶瓶奶嘴": 2.0,
                     "婴儿服饰": 2.0, "收纳整理": 1.8, "厨房用品": 1.5, "床上用品": 1.2, "喂养用品": 1.2}
_COURIERS = (("yuantong", 32), ("zhongtong", 33), ("yunda", 17), ("shunfeng", 18))
_REMARKS = (
    "请尽快发货，宝宝急用，谢谢！", "麻烦发顺丰，运费可以补", "送人的，不要放发票和价格单", "颜色要灰色的，别发错了",
    "周末家里没人，请工作日送达", "放小区门口快递柜就行", "麻烦多送几片试用装", "请包装严实一点，上次压坏了",
    "地址写错了，请改到公司：同城中山路88号前台", "能不能和上一单一起发？",
)
_CUSTOM_REMARKS = ("刻字：平安喜乐", "刻字：张小宝 2026.01.08", "刺绣：朵朵", "刻字：爸爸辛苦了", "刺绣：乐乐")
_CANCEL_REASONS = (
    "买家申请退款：拍错了/多拍了", "买家申请退款：不想要了", "买家修改地址，重新下单", "买家申请退款：协商一致退款",
    "买家申请退款：发货太慢", "重复下单，与买家确认后取消",
)


def _read(data_dir: Path | str | None, name: str) -> dict:
    path = Path(data_dir or default_data_dir()) / name
    if not path.is_file():
        raise ValidationError(f"demo data file missing: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValidationError(f"demo data file {path} is not valid JSON: {exc}") from exc


def _ensure_empty(session: Session) -> None:
    if session.exec(select(Warehouse.id)).first() is not None or catalogue.count_skus(session):
        raise ValidationError("demo data already loaded: this database already has a catalogue; "
                              "use a fresh database for the demo")


# --- catalogue, stock, customers -------------------------------------------------------------

def load_catalogue(session: Session, data_dir: Path | str | None = None) -> dict:
    """Warehouses, suppliers, SKUs, opening stock, the two reservations and the customers.

    Raises ValidationError when the database already has a catalogue.
    """
    _ensure_empty(session)
    data = _read(data_dir, "catalogue.json")
    people = _read(data_dir, "customers.json")["customers"]
    for wh in data["warehouses"]:
        catalogue.add_warehouse(session, wh["code"], wh["name"], province=wh.get("province"), city=wh.get("city"),
                                user="admin")
    for sup in data["suppliers"]:
        catalogue.add_supplier(session, sup["code"], sup["name"], contact=sup.get("contact"), phone=sup.get("phone"),
                               lead_days=sup.get("lead_days", 7), user="admin")
    warehouses = {wh.code: wh for wh in session.exec(select(Warehouse))}
    skus: dict[str, Sku] = {}
    for item in data["skus"]:
        skus[item["code"]] = catalogue.add_sku(
            session, item["code"], item["name"], barcodes=item.get("barcodes", []), spec=item.get("spec", ""),
            unit=item.get("unit", "件"), category=item.get("category", ""), tags=item.get("tags", []),
            supplier_code=item.get("supplier"), bin_location=item.get("bin_location", ""),
            cost_fen=item["cost_fen"], price_fen=item["price_fen"], user="admin",
        )
    on_hand = inbound = 0
    po = 0
    for item in data["skus"]:
        sku = skus[item["code"]]
        for wh_code, qty in sorted(item.get("stock", {}).items()):
            if qty > 0:
                po += 1
                ledger.purchase(session, warehouses[wh_code], sku, qty, actor=Actor.system("buyer1"), reason=f"期初采购 PO{po:05d}")
                allocation.receive_stock(session, warehouses[wh_code], sku, qty, actor=Actor.system("wh1"), reason=f"期初入库 PO{po:05d}")
                on_hand += qty
        for wh_code, qty in sorted(item.get("inbound", {}).items()):
            if qty > 0:
                po += 1
                ledger.purchase(session, warehouses[wh_code], sku, qty, actor=Actor.system("buyer1"), reason=f"补货采购 PO{po:05d}（在途）")
                inbound += qty
    for res in data.get("reservations", []):
        reservations.reserve(session, warehouses[res["warehouse"]], skus[res["sku"]], res["qty"], purpose=res["purpose"],
                          expires_at=utcnow() + timedelta(days=res.get("days", 14)), actor=Actor.system("manager"),
                          note=res.get("note", ""))
    vip = 0
    for person in people:
        _add_customer(session, person)
        vip += bool(person.get("vip"))
    return {
        "warehouses": len(data["warehouses"]), "suppliers": len(data["suppliers"]), "skus": len(skus),
        "barcodes": sum(len(item.get("barcodes", [])) for item in data["skus"]), "units_on_hand": on_hand,
        "units_inbound": inbound, "reservations": len(data.get("reservations", [])), "customers": len(people),
        "vip_customers": vip,
    }


def _add_customer(session: Session, person: dict) -> Customer:
    return identity.add_customer(
        session, name=person["name"], phone=person.get("phone"), platform=person.get("platform"),
        buyer_id=person.get("buyer_id"), province=person.get("province", ""), city=person.get("city", ""),
        district=person.get("district", ""), address=person.get("address", ""), is_vip=bool(person.get("vip")),
        user="cslead",
    )


def add_demo_users(session: Session) -> list[tuple[str, str, tuple[str, ...]]]:
    """One user per role with the fixed PINs of DEMO_USERS; returns DEMO_USERS as a list."""
    for name, pin, roles in DEMO_USERS:
        users.add_user(session, name, pin, list(roles), display_name=_DISPLAY_NAMES.get(name, name), actor=Actor.system("admin"))
    return list(DEMO_USERS)


# --- orders ----------------------------------------------------------------------------------

@dataclass
class _Plan:
    order: NormalizedOrder
    fate: str  # "ship", "packed", "picking", "ready" or "cancel" — applied if the order gets that far
    remark_open: bool = False  # leave the buyer_remark hold for CS
    courier: str = ""
    waybill: str = ""
    shipped_at: datetime | None = None
    cancel_reason: str = ""


@dataclass(frozen=True)
class _SkuInfo:
    code: str
    title: str
    price_fen: int
    category: str
    custom: bool


def _catalogue_for_orders(session: Session, warehouse: Warehouse) -> tuple[list[_SkuInfo], list[str]]:
    """Active SKUs by code, and the codes with nothing available in the warehouse (orders go short)."""
    rows = session.exec(
        select(Sku, StockLevel)
        .outerjoin(StockLevel, (col(StockLevel.sku_id) == col(Sku.id)) & (StockLevel.warehouse_id == warehouse.id))
        .where(col(Sku.active).is_(True), col(Sku.price_fen) > 0)
        .order_by(col(Sku.code))
    ).all()
    skus = [_SkuInfo(sku.code, f"{sku.name} {sku.spec}".strip(), sku.price_fen, sku.category.split("/")[-1],
                     "custom" in sku.tag_list) for sku, _ in rows]
    scarce = [sku.code for sku, level in rows if level is None or level.available <= 0]
    if not scarce and rows:
        scarce = [min(rows, key=lambda r: (r[1].available if r[1] else 0, r[0].code))[0].code]
    return skus, scarce


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _platform_order_id(rng: random.Random, platform: str, created: datetime) -> str:
    if platform == "taobao":  # tid: a 19-digit number
        return rng.choice("234") + _digits(rng, 18)
    if platform == "jd":  # orderId: a 12-digit number
        return str(rng.randint(250_000_000_000, 329_999_999_999))
    return created.astimezone(CHINA_TZ).strftime("%y%m%d") + "-" + rng.choice("123456789") + _digits(rng, 14)


def _waybill(rng: random.Random, courier: str) -> str:
    if courier == "yuantong":
        return "YT" + rng.choice("6789") + _digits(rng, 12)
    if courier == "shunfeng":
        return "SF1" + _digits(rng, 11)
    if courier == "yunda":
        return rng.choice(("43", "46", "31")) + _digits(rng, 11)
    return "7" + rng.choice("35") + _digits(rng, rng.choice((10, 12, 13)))  # zhongtong: 12–15 digits


def _buyer_id(person: dict, platform: str) -> str:
    """The platform's buyer id: the customer's own where we know it, else a stable made-up one."""
    if person.get("platform") == platform and person.get("buyer_id"):
        return person["buyer_id"]
    crc = zlib.crc32(f"{platform}:{person['phone']}".encode())
    return {"taobao": f"tb{crc:010d}", "jd": f"jd_{crc:08x}{crc % 9973:04d}", "pdd": f"pdd_{crc:011d}"}[platform]


def _masked(person: dict, platform: str) -> tuple[str, str]:
    phone, name = person["phone"], person["name"]
    if platform == "pdd":  # PDD keeps the first and last digit, and masks the name too
        return (name[0] + "*" if len(name) <= 2 else name[0] + "*" * (len(name) - 2) + name[-1],
                phone[0] + "*" * 9 + phone[-1])
    return name, phone[:3] + "****" + phone[-4:]


def _plan_orders(rng: random.Random, n: int, now: datetime, skus: list[_SkuInfo], scarce: list[str],
                 people: list[dict], platforms: tuple[str, ...]) -> list[_Plan]:
    if not skus:
        raise ValidationError("no SKUs to order: load the catalogue first")
    if not people:
        raise ValidationError("no customers in customers.json")
    platforms = tuple(p for p in platforms if p in _PLATFORM_WEIGHTS)
    if not platforms:
        raise ValidationError(f"platforms must be among {', '.join(_PLATFORM_WEIGHTS)}")
    by_code = {s.code: s for s in skus}
    sku_weights = [_CATEGORY_WEIGHTS.get(s.category, 1.0) * (0.3 if s.custom else 1.0) for s in skus]
    vip_people = [p for p in people if p.get("vip")]

    # When: a third of the orders in the last three days, the rest over the 18 days before; few at night.
    # Always two draws per order, so the rest of the plan does not depend on the hour `now` falls on.
    ages = []
    for _ in range(n):
        first, second = (timedelta(days=rng.uniform(0, 3) if rng.random() < 0.35 else rng.uniform(3, 21))
                         for _attempt in range(2))
        ages.append(second if 1 <= (now - first).astimezone(CHINA_TZ).hour <= 6 else first)
    ages.sort(reverse=True)  # oldest first: ids and allocation follow time

    day = timedelta(days=1)
    recent = [i for i, age in enumerate(ages) if age < 2 * day] or list(range(max(0, n - 3), n))
    last_week = [i for i, age in enumerate(ages) if age < 7 * day] or list(range(n))
    open_remarks = set(rng.sample(recent, min(len(recent), max(2, n // 40))))
    forced_short = set(rng.sample(last_week, min(len(last_week), max(3, n // 25)))) - open_remarks if scarce else set()
    cancel_from = [i for i in range(n) if i not in open_remarks]
    cancelled = set(rng.sample(cancel_from, min(len(cancel_from), max(2, n // 30))))

    plans: list[_Plan] = []
    seen_ids: set[str] = set()
    seen_waybills: set[str] = set()
    for i, age in enumerate(ages):
        created = now - age
        paid = created + timedelta(seconds=rng.randint(5, 1800))
        platform = rng.choices(platforms, weights=[_PLATFORM_WEIGHTS[p] for p in platforms])[0]
        person = rng.choice(vip_people) if vip_people and rng.random() < 0.08 else rng.choice(people)
        while True:
            order_id = _platform_order_id(rng, platform, created)
            if order_id not in seen_ids:
                seen_ids.add(order_id)
                break

        count = rng.choices((1, 2, 3, 4), weights=(55, 28, 12, 5))[0]
        picked: list[_SkuInfo] = []
        while len(picked) < count:
            sku = rng.choices(skus, weights=sku_weights)[0]
            if sku not in picked:
                picked.append(sku)
        if i in forced_short:
            extra = by_code[rng.choice(scarce)]
            if extra not in picked:
                picked.append(extra)
        lines = []
        for sku in picked:
            if sku.category in ("纸尿裤", "湿巾棉柔巾"):
                qty = rng.choice((1, 1, 2, 2, 3, 4))
            elif sku.category == "清洁用品":
                qty = rng.choice((1, 1, 2, 3))
            else:
                qty = 1 if rng.random() < 0.85 else 2
            price = max(10, round(sku.price_fen * _PLATFORM_PRICE[platform] / 10) * 10)
            lines.append(NormalizedLine(sku_code=sku.code, title=sku.title, qty=qty, price_fen=price,
                                        platform_line_id=f"{order_id}-{len(lines) + 1}"))

        goods = sum(line.qty * line.price_fen for line in lines)
        if goods >= 19900:
            discount = rng.choice((0, 1000, 2000))  # 满199减10/20
        elif goods >= 9900:
            discount = rng.choice((0, 0, 500))
        else:
            discount = 0
        post_fee = 0 if goods >= 2900 else 500  # 满29包邮
        if person["province"].startswith(("新疆", "西藏", "青海")):
            post_fee += 1000

        remark = ""
        if any(sku.custom for sku in picked):
            remark = rng.choice(_CUSTOM_REMARKS)
        elif i in open_remarks or rng.random() < 0.06:
            remark = rng.choice(_REMARKS)
        if i in open_remarks and not remark:
            remark = rng.choice(_REMARKS)

        masked = rng.random() < (0.5 if platform == "pdd" else 0.3)
        name, phone = _masked(person, platform) if masked else (person["name"], person["phone"])
        order = NormalizedOrder(
            platform=platform, platform_order_id=order_id, shop=_SHOPS[platform], state=PlatformState.PAID,
            platform_status=_PAID_STATUS[platform], buyer_id=_buyer_id(person, platform), receiver_name=name,
            receiver_phone=phone, receiver_province=person["province"], receiver_city=person["city"],
            receiver_district=person["district"], receiver_address=person["address"], buyer_remark=remark,
            total_fen=goods + post_fee, paid_fen=goods + post_fee - discount, discount_fen=discount,
            post_fee_fen=post_fee, created_at=created, paid_at=paid, modified_at=paid, lines=lines,
        )

        roll = rng.random()
        if i in cancelled:
            fate = "cancel"
        elif age >= 3 * day:
            fate = "ship"
        elif age >= day:
            fate = "ship" if roll < 0.6 else "packed" if roll < 0.75 else "picking" if roll < 0.85 else "ready"
        else:
            fate = "picking" if roll < 0.12 else "ready"
        plan = _Plan(order=order, fate=fate, remark_open=bool(remark) and (i in open_remarks or age < day))
        if fate == "cancel":
            plan.cancel_reason = rng.choice(_CANCEL_REASONS)
        courier = "shunfeng" if "顺丰" in remark else rng.choices(*zip(*_COURIERS))[0]
        while True:
            waybill = _waybill(rng, courier)
            if waybill not in seen_waybills:
                seen_waybills.add(waybill)
                break
        plan.courier, plan.waybill = courier, waybill
        plan.shipped_at = min(paid + timedelta(hours=rng.uniform(3, 36)), now - timedelta(minutes=5))
        plans.append(plan)
    return plans


def _apply(session: Session, warehouse: Warehouse, plans: list[_Plan]) -> list[int]:
    """Ingest the planned orders and walk each as far along its lifecycle as stock and holds allow."""
    ids = []
    loading_since = utcnow()
    for plan in plans:
        order = upsert.upsert_order(session, plan.order, warehouse=warehouse, user="sync").order
        ids.append(order.id)
        _approvals_on_intake(session, order, plan)
        if plan.order.buyer_remark:
            hold = holds.open_hold(session, order, HoldKind.BUYER_REMARK, user="sync",
                                   reason=intake_rules.remark_reason(plan.order.buyer_remark))
            lifecycle.settle_status(session, order, user="sync")
            if not plan.remark_open:
                actions.resolve_hold(session, hold.id, actor=Actor.system("cs1"), resolution="已核对留言，按买家要求处理")
        if plan.fate == "cancel":
            actions.cancel(session, order, actor=Actor.system("cs1"), reason=plan.cancel_reason)
            continue
        if plan.fate == "ready" or order.status != OrderStatus.READY:
            continue  # short or in review: waits where it is
        actions.start_picking(session, order, user="wh1")
        if plan.fate == "picking":
            continue
        actions.mark_packed(session, order, user="wh1")
        if plan.fate == "packed":
            continue
        actions.ship(session, order, waybill=plan.waybill, courier=plan.courier, user="wh1", shipped_at=plan.shipped_at)
    session.flush()
    _stamp_holds(session, ids, loading_since)
    _ask_for_approvals(session, ids)
    return ids


def _approvals_on_intake(session: Session, order, plan: _Plan) -> None:
    """A large order or a custom item stops itself for approval, as the real intake does (services/approvals).
    The past's requests were approved by the CS lead a quarter of an hour later; today's open ones still wait — on
    the Approvals screen, and the oldest of them climb to the manager when the scheduler runs."""
    asked_at = plan.order.paid_at or plan.order.created_at
    opened = approval_requests.on_new_order(session, order, user="sync", now=asked_at)
    if not opened or plan.fate == "ready":
        return
    for request in opened:
        decisions.decide(session, request.id, actor=Actor("cslead", {"cs_lead"}), approve=True,
                         comment="定制内容已与买家确认" if request.kind == "custom_item" else "老客户，同意",
                         now=asked_at + timedelta(minutes=15))


def _ask_for_approvals(session: Session, order_ids: list[int]) -> None:
    """Two of the latest ready orders wait for a lead, asked a minute after payment: a price change (the CS
    lead decides) and a cross-warehouse transfer (the warehouse lead and the CS lead co-sign). Older than
    two hours, they climb to the manager when the scheduler runs and the orders show "approval stalled"."""
    ready = session.exec(select(Order).where(col(Order.id).in_(order_ids), Order.status == OrderStatus.READY)
                         .order_by(col(Order.created_at).desc()).limit(2)).all()
    asks = [("price_change", "老客户要求改价 9 折", {"新价格": "原价 9 折"}),
            ("transfer", "杭州仓该 SKU 只剩样品，从广州仓调货", {"调出仓": "广州仓"})]
    for order, (kind, reason, detail) in zip(ready, asks):
        asked_at = (order.paid_at or order.created_at) + timedelta(minutes=1)
        approval_requests.open_request(session, order, kind=kind, reason=reason, user="cs1", detail=detail,
                                       now=asked_at)


def _stamp_holds(session: Session, order_ids: list[int], loading_since: datetime) -> None:
    """Date the holds the load just opened as the orders' own story has it: opened when the order was paid
    (as intake would have opened them), resolved soon after. Else "open for" says minutes of an order that
    has waited for days."""
    if not order_ids:
        return
    paid = dict(session.exec(select(Order.id, func.coalesce(Order.paid_at, Order.created_at))
                             .where(col(Order.id).in_(order_ids))).all())
    for hold in session.exec(select(Hold).where(col(Hold.order_id).in_(order_ids),
                                                col(Hold.opened_at) >= loading_since)):
        opened = min(paid[hold.order_id] + timedelta(minutes=1), hold.opened_at)
        hold.opened_at = opened
        if hold.resolved_at is not None:
            hold.resolved_at = min(opened + timedelta(minutes=20), hold.resolved_at)
        session.add(hold)
    session.flush()


def _status_counts(session: Session, ids: list[int]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for status, count in session.exec(
            select(Order.status, func.count()).where(col(Order.id).in_(chunk)).group_by(Order.status)
        ):
            counts[status] += count
    return dict(sorted(counts.items()))


def _load_people(data_dir: Path | str | None) -> list[dict]:
    return _read(data_dir, "customers.json")["customers"]


def generate_orders(session: Session, warehouse: Warehouse, n: int, *, seed: int, now: datetime | None = None,
                    platforms: tuple[str, ...] = ("taobao", "jd", "pdd"),
                    data_dir: Path | str | None = None) -> dict[str, int]:
    """``n`` orders over the last three weeks, walked along their lifecycle; returns counts by status."""
    if n <= 0:
        return {}
    skus, scarce = _catalogue_for_orders(session, warehouse)
    plans = _plan_orders(random.Random(seed), n, now or utcnow(), skus, scarce, _load_people(data_dir), platforms)
    return _status_counts(session, _apply(session, warehouse, plans))


def generate_orders_batched(engine: Engine, warehouse_code: str, n: int, *, seed: int, now: datetime | None = None,
                            platforms: tuple[str, ...] = ("taobao", "jd", "pdd"),
                            data_dir: Path | str | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """As generate_orders, committing every ``batch_size`` orders; same seed, same result."""
    if n <= 0:
        return {}
    with read_session(engine) as session:
        warehouse = catalogue.get_warehouse(session, warehouse_code)
        skus, scarce = _catalogue_for_orders(session, warehouse)
    plans = _plan_orders(random.Random(seed), n, now or utcnow(), skus, scarce, _load_people(data_dir), platforms)
    ids: list[int] = []
    for start in range(0, len(plans), batch_size):
        with session_scope(engine) as session:
            warehouse = catalogue.get_warehouse(session, warehouse_code)
            ids.extend(_apply(session, warehouse, plans[start:start + batch_size]))
    with read_session(engine) as session:
        return _status_counts(session, ids)


def load_demo(engine: Engine, data_dir: Path | str | None = None, *, orders: int = 300, seed: int = 2026,
              now: datetime | None = None, warehouse: str = DEMO_WAREHOUSE) -> dict:
    """Catalogue and customers, demo users, then ``orders`` orders — each step its own transaction.

    A database that already has a catalogue gets a ValidationError ("demo data already loaded").
    """
    with read_session(engine) as session:
        _ensure_empty(session)
    with session_scope(engine) as session:
        summary = load_catalogue(session, data_dir)
    with session_scope(engine) as session:
        demo_users = add_demo_users(session)
    counts = generate_orders_batched(engine, warehouse, orders, seed=seed, now=now, data_dir=data_dir)
    return {"catalogue": summary, "users": demo_users, "orders": counts}
