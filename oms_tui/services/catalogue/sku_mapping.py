"""Platform SKU mapping (商品对应): which of our SKUs a shop's platform item/SKU is, or which bundle (组合装)
of them with quantities — a 3-towel set is 3 × TW-001.

A platform line is resolved in this order: the mapping by the platform's SKU id (by the item id for an
item without SKUs; by the merchant's code for a line with neither id, as an imported file has), then the
merchant's outer code equal to one of our SKU codes, else it is unknown (the order waits in
``sku_unmapped`` until CS maps it; ``orders.unmapped`` re-runs those orders).

The shop's items as the platform lists them (``PlatformItem``, pulled by the scheduler through the
adapters) only feed ``suggest``: matches by the merchant's outer codes and by the title.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.limits import MAX_QUANTITY
from oms_tui.models import PlatformItem, Sku, SkuBarcode, SkuMapping, SkuMappingComponent, utcnow
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require

MAX_COMPONENTS = 20
# A line with neither platform id (an imported file) can only be known by its merchant code: its mapping is
# kept under this item id, which no platform issues.
CODE_KEY = "code:"


class Basis:
    """How a platform line found its SKUs (stored nowhere; shown and audited)."""

    MAPPING = "mapping"
    OUTER_CODE = "outer_code"


@dataclass(frozen=True)
class Part:
    """One of our SKUs in one unit the platform sells."""

    sku_id: int
    code: str
    qty: int
    price_fen: int = 0  # our list price, to share the platform's price out over a bundle


@dataclass(frozen=True)
class Resolution:
    parts: tuple[Part, ...]
    basis: str
    mapping_id: int | None = None

    @property
    def is_bundle(self) -> bool:
        return len(self.parts) > 1 or self.parts[0].qty != 1


def _key(platform_item_id: str, platform_sku_id: str) -> tuple[str, str]:
    return (platform_item_id or "").strip(), (platform_sku_id or "").strip()


def find_mapping(session: Session, shop: str, platform_item_id: str, platform_sku_id: str) -> SkuMapping | None:
    """The shop's mapping for this platform SKU: by the SKU id when there is one (SKU ids are unique on
    a platform, whatever item the line names), else by the item id of an item without SKUs."""
    item, sku = _key(platform_item_id, platform_sku_id)
    if sku:
        return session.exec(select(SkuMapping).where(SkuMapping.shop == shop, SkuMapping.platform_sku_id == sku)
                            .order_by(col(SkuMapping.id))).first()
    if item:
        return session.exec(select(SkuMapping).where(SkuMapping.shop == shop, SkuMapping.platform_item_id == item,
                                                     SkuMapping.platform_sku_id == "")).first()
    return None


def parts_of(session: Session, mapping_id: int) -> tuple[Part, ...]:
    rows = session.exec(select(Sku.id, Sku.code, SkuMappingComponent.qty, Sku.price_fen)
                        .join(SkuMappingComponent, col(SkuMappingComponent.sku_id) == col(Sku.id))
                        .where(SkuMappingComponent.mapping_id == mapping_id)
                        .order_by(col(SkuMappingComponent.id))).all()
    return tuple(Part(sku_id, code, qty, price) for sku_id, code, qty, price in rows)


class Resolver:
    """Resolves platform lines to our SKUs, remembering what it looked up (a sync batch asks for the
    same platform SKUs again and again)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._mapped: dict[tuple[str, str, str], Resolution | None] = {}
        self._codes: dict[str, Resolution | None] = {}

    def prefetch(self, lines: Iterable[tuple[str, str, str, str]]) -> None:
        """Look up (shop, platform item id, platform SKU id, outer code) lines all at once — a query for the
        mappings by SKU id, one by item id, one for their parts and one for our codes — so that ``resolve``
        then answers them from memory (a sync batch: the same answers ``resolve`` would find one by one)."""
        by_sku: dict[str, set[tuple[str, str]]] = {}  # by the SKU id alone, whatever item the line names
        by_item: dict[str, set[str]] = {}
        codes: set[str] = set()
        for shop, platform_item_id, platform_sku_id, outer_code in lines:
            item, sku = self._lookup_key(platform_item_id, platform_sku_id, outer_code)
            if (item or sku) and (shop, item, sku) not in self._mapped:
                if sku:
                    by_sku.setdefault(shop, set()).add((item, sku))
                else:
                    by_item.setdefault(shop, set()).add(item)
            code = (outer_code or "").strip()
            if code and code not in self._codes:
                codes.add(code)
        found: dict[tuple[str, str, str], int] = {}
        for shop, pairs in by_sku.items():
            for mapping_id, sku in self.session.exec(
                    select(SkuMapping.id, SkuMapping.platform_sku_id)
                    .where(SkuMapping.shop == shop, col(SkuMapping.platform_sku_id).in_(sorted({s for _i, s in pairs})))
                    .order_by(col(SkuMapping.id))):
                found.setdefault((shop, "", sku), mapping_id)
        for shop, items in by_item.items():
            for mapping_id, item in self.session.exec(
                    select(SkuMapping.id, SkuMapping.platform_item_id)
                    .where(SkuMapping.shop == shop, col(SkuMapping.platform_item_id).in_(sorted(items)),
                           SkuMapping.platform_sku_id == "").order_by(col(SkuMapping.id))):
                found.setdefault((shop, item, ""), mapping_id)
        parts: dict[int, list[Part]] = {}
        if found:
            for mapping_id, sku_id, code, qty, price in self.session.exec(
                    select(SkuMappingComponent.mapping_id, Sku.id, Sku.code, SkuMappingComponent.qty, Sku.price_fen)
                    .join(SkuMappingComponent, col(SkuMappingComponent.sku_id) == col(Sku.id))
                    .where(col(SkuMappingComponent.mapping_id).in_(sorted(set(found.values()))))
                    .order_by(col(SkuMappingComponent.id))):
                parts.setdefault(mapping_id, []).append(Part(sku_id, code, qty, price))
        for shop, pairs in by_sku.items():
            for item, sku in pairs:
                self._remember(shop, item, sku, found.get((shop, "", sku)), parts)
        for shop, items in by_item.items():
            for item in items:
                self._remember(shop, item, "", found.get((shop, item, "")), parts)
        if codes:
            rows = {code: (sku_id, price) for sku_id, code, price in self.session.exec(
                select(Sku.id, Sku.code, Sku.price_fen).where(col(Sku.code).in_(sorted(codes))))}
            for code in codes:
                row = rows.get(code)
                self._codes[code] = (Resolution((Part(row[0], code, 1, row[1]),), Basis.OUTER_CODE)
                                     if row else None)

    def _remember(self, shop: str, item: str, sku: str, mapping_id: int | None,
                  parts: dict[int, list[Part]]) -> None:
        found = tuple(parts.get(mapping_id, ())) if mapping_id is not None else ()
        self._mapped[(shop, item, sku)] = Resolution(found, Basis.MAPPING, mapping_id) if found else None

    @staticmethod
    def _lookup_key(platform_item_id: str, platform_sku_id: str, outer_code: str) -> tuple[str, str]:
        item, sku = _key(platform_item_id, platform_sku_id)
        if not item and not sku and (outer_code or "").strip():
            item = CODE_KEY + outer_code.strip()  # an id-less line: a mapping CS made for its code
        return item, sku

    def resolve(self, shop: str, platform_item_id: str, platform_sku_id: str, outer_code: str) -> Resolution | None:
        item, sku = self._lookup_key(platform_item_id, platform_sku_id, outer_code)
        if item or sku:
            key = (shop, item, sku)
            if key not in self._mapped:
                mapping = find_mapping(self.session, shop, item, sku)
                parts = parts_of(self.session, mapping.id) if mapping is not None else ()
                self._mapped[key] = Resolution(parts, Basis.MAPPING, mapping.id) if parts else None
            if self._mapped[key] is not None:
                return self._mapped[key]
        code = (outer_code or "").strip()
        if not code:
            return None
        if code not in self._codes:
            row = self.session.exec(select(Sku.id, Sku.code, Sku.price_fen).where(Sku.code == code)).first()
            self._codes[code] = Resolution((Part(row[0], row[1], 1, row[2]),), Basis.OUTER_CODE) if row else None
        return self._codes[code]


def resolve(session: Session, *, shop: str, platform_item_id: str = "", platform_sku_id: str = "",
            outer_code: str = "") -> Resolution | None:
    """Our SKUs for one platform line (see the module docstring for the order), or None when unknown."""
    return Resolver(session).resolve(shop, platform_item_id, platform_sku_id, outer_code)


# --- saving a mapping --------------------------------------------------------------------------

_COMPONENT = re.compile(r"^\s*(?:(\d+)\s*[x×*]\s*)?(\S+?)(?:\s*[x×*]\s*(\d+))?\s*$", re.IGNORECASE)


def parse_components(text: str) -> list[tuple[str, int]]:
    """``"TW-001*3, MB-001"`` → ``[("TW-001", 3), ("MB-001", 1)]`` (also ``TW-001 x3``, ``3×TW-001``; commas,
    semicolons, full-width commas or new lines between them)."""
    parts = [p for p in re.split(r"[,;，；、\n]+", text or "") if p.strip()]
    if not parts:
        raise ValidationError(N_("name at least one of our SKUs, like TW-001 or TW-001*3"))
    found = []
    for part in parts:
        match = _COMPONENT.match(part)
        if match is None or (match.group(1) and match.group(3)):
            raise ValidationError(N_("{part!r} is not a SKU with a quantity, like TW-001*3"), part=part.strip())
        qty = int(match.group(1) or match.group(3) or 1)
        found.append((match.group(2), qty))
    return found


def _checked_components(session: Session, components: Sequence[tuple[str, int]]) -> list[tuple[Sku, int]]:
    if not components:
        raise ValidationError(N_("name at least one of our SKUs, like TW-001 or TW-001*3"))
    merged: dict[int, tuple[Sku, int]] = {}
    for code, qty in components:
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QUANTITY:
            raise ValidationError(N_("{sku}: a quantity from 1 to {max}, not {qty!r}"), sku=code, max=MAX_QUANTITY,
                                  qty=qty)
        sku = session.exec(select(Sku).where(Sku.code == (code or "").strip())).first()
        if sku is None:
            sku = session.exec(select(Sku).join(SkuBarcode, col(SkuBarcode.sku_id) == col(Sku.id))
                               .where(SkuBarcode.barcode == (code or "").strip())).first()
        if sku is None:
            raise NotFound(N_("unknown SKU or barcode {code!r}"), code=code)
        if not sku.active:
            raise ValidationError(N_("{sku} is no longer sold"), sku=sku.code)
        before = merged.get(sku.id, (sku, 0))[1]
        if before + qty > MAX_QUANTITY:
            raise ValidationError(N_("{sku}: a quantity from 1 to {max}, not {qty!r}"), sku=sku.code,
                                  max=MAX_QUANTITY, qty=before + qty)
        merged[sku.id] = (sku, before + qty)
    if len(merged) > MAX_COMPONENTS:
        raise ValidationError(N_("a bundle has at most {max} different SKUs"), max=MAX_COMPONENTS)
    return list(merged.values())


def save_mapping(session: Session, *, shop: str, platform: str, platform_item_id: str = "",
                 platform_sku_id: str = "", components: Sequence[tuple[str, int]], title: str = "",
                 outer_code: str = "", actor: Actor) -> SkuMapping:
    """Map the shop's platform SKU (or SKU-less item) to our SKUs with quantities per unit sold; a mapping
    that exists is changed (its old components stay in the audit trail)."""
    require(actor, "skus.map")
    item, sku_id = _key(platform_item_id, platform_sku_id)
    if not item and not sku_id and (outer_code or "").strip():
        item = CODE_KEY + outer_code.strip()  # lines without platform ids (an imported file), known by their code
    if not (shop or "").strip():
        raise ValidationError(N_("a mapping needs the shop"))
    if not item and not sku_id:
        raise ValidationError(N_("a mapping needs the platform's item id, SKU id or the merchant's code"))
    if len(item) > 64 or len(sku_id) > 64:
        raise ValidationError(N_("a platform id is at most 64 characters"))
    checked = _checked_components(session, components)
    mapping = find_mapping(session, shop, item, sku_id)
    now = utcnow()
    old: list[dict] = []
    if mapping is None:
        mapping = SkuMapping(shop=shop, platform=platform, platform_item_id=item, platform_sku_id=sku_id,
                             created_by=actor.name, created_at=now)
    else:
        old = [{"sku": p.code, "qty": p.qty} for p in parts_of(session, mapping.id)]
        for component in session.exec(select(SkuMappingComponent)
                                      .where(SkuMappingComponent.mapping_id == mapping.id)):
            session.delete(component)
        session.flush()
    if item and not mapping.platform_item_id:
        mapping.platform_item_id = item
    mapping.title = (title or mapping.title or "")[:300]
    mapping.outer_code = (outer_code or mapping.outer_code or "")[:64]
    mapping.updated_at, mapping.updated_by = now, actor.name
    session.add(mapping)
    session.flush()
    for sku, qty in checked:
        session.add(SkuMappingComponent(mapping_id=mapping.id, sku_id=sku.id, qty=qty))
    session.flush()
    audit.record(session, actor.name, "sku_mapping.save", "sku_mapping", mapping.id, shop=shop, platform=platform,
                 platform_item_id=item, platform_sku_id=sku_id, old=old,
                 new=[{"sku": sku.code, "qty": qty} for sku, qty in checked])
    return mapping


# --- listing -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MappingRow:
    id: int
    shop: str
    platform: str
    platform_item_id: str
    platform_sku_id: str
    title: str
    outer_code: str
    parts: tuple[Part, ...]
    updated_at: datetime
    updated_by: str

    @property
    def text(self) -> str:
        """The components as one types them: ``TW-001*3, MB-001``."""
        return ", ".join(p.code if p.qty == 1 else f"{p.code}*{p.qty}" for p in self.parts)


def count_mappings(session: Session, shop: str | None = None) -> int:
    stmt = select(func.count()).select_from(SkuMapping)
    if shop:
        stmt = stmt.where(SkuMapping.shop == shop)
    return session.exec(stmt).one()


def list_mappings(session: Session, *, shop: str | None = None, limit: int = 50, offset: int = 0) -> list[MappingRow]:
    """The mappings, most recently changed first, each with its components."""
    stmt = select(SkuMapping).order_by(col(SkuMapping.updated_at).desc(), col(SkuMapping.id).desc())
    if shop:
        stmt = stmt.where(SkuMapping.shop == shop)
    rows = []
    for m in session.exec(stmt.limit(limit).offset(offset)):
        rows.append(MappingRow(m.id, m.shop, m.platform, m.platform_item_id, m.platform_sku_id, m.title,
                               m.outer_code, parts_of(session, m.id), m.updated_at, m.updated_by))
    return rows


# --- the shop's items as the platform lists them ------------------------------------------------

@dataclass(frozen=True)
class ListedSku:
    """One SKU (or SKU-less item) of a shop's listing, as an adapter hands it over."""

    platform_item_id: str
    platform_sku_id: str = ""
    outer_item_code: str = ""
    outer_sku_code: str = ""
    title: str = ""
    spec: str = ""


def record_listing(session: Session, shop: str, platform: str, listed: Iterable[ListedSku], *,
                   pulled_at: datetime | None = None) -> int:
    """Keep the pulled listing (new rows added, known ones brought up to date); returns how many rows."""
    pulled_at = pulled_at or utcnow()
    known = {(i.platform_item_id, i.platform_sku_id): i
             for i in session.exec(select(PlatformItem).where(PlatformItem.shop == shop))}
    count = 0
    for entry in listed:
        key = _key(entry.platform_item_id, entry.platform_sku_id)
        if not key[0] or len(key[0]) > 64 or len(key[1]) > 64:
            continue
        row = known.get(key) or PlatformItem(shop=shop, platform=platform, platform_item_id=key[0],
                                             platform_sku_id=key[1])
        row.outer_item_code = (entry.outer_item_code or "").strip()[:64]
        row.outer_sku_code = (entry.outer_sku_code or "").strip()[:64]
        row.title, row.spec = (entry.title or "")[:300], (entry.spec or "")[:200]
        row.pulled_at = pulled_at
        session.add(row)
        known[key] = row
        count += 1
    session.flush()
    return count


def listed_item(session: Session, shop: str, platform_item_id: str, platform_sku_id: str) -> PlatformItem | None:
    item, sku = _key(platform_item_id, platform_sku_id)
    stmt = select(PlatformItem).where(PlatformItem.shop == shop)
    stmt = stmt.where(PlatformItem.platform_sku_id == sku) if sku else stmt.where(
        PlatformItem.platform_item_id == item, PlatformItem.platform_sku_id == "")
    return session.exec(stmt).first()


# --- suggestions ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    spec: str
    qty: int  # units per platform unit the title suggests (a "3条装" is 3)
    basis: str  # outer code, outer code prefix, barcode, title
    score: float = field(default=0.0, compare=False)

    @property
    def text(self) -> str:
        return self.code if self.qty == 1 else f"{self.code}*{self.qty}"


# "3条装", "3包装", "x3", "×3", "*3": how many of one SKU a platform unit holds.
_PACK = re.compile(r"(\d{1,3})\s*(?:条|包|件|个|只|瓶|盒|双|支|片|套|卷|袋|罐|块|张)\s*装|[x×*]\s*(\d{1,3})(?!\d)",
                   re.IGNORECASE)
_NOISE = re.compile(r"[\s\-_/|·,，.。:：;；()（）\[\]【】]+")


def pack_size(*texts: str) -> int:
    """The units per platform unit a title or spec names ("毛巾 3条装" → 3); 1 when it names none."""
    for text in texts:
        match = _PACK.search(text or "")
        if match:
            qty = int(match.group(1) or match.group(2))
            if 1 < qty <= 999:
                return qty
    return 1


def _plain(text: str) -> str:
    return _NOISE.sub("", (text or "").lower())


def suggest(session: Session, *, shop: str, platform_item_id: str = "", platform_sku_id: str = "",
            outer_codes: Iterable[str] = (), title: str = "", limit: int = 5) -> list[Suggestion]:
    """Our SKUs this platform SKU probably is, best first: by the merchant's outer codes (the line's and
    the pulled listing's), then by the title's likeness to our SKU names."""
    codes = [c.strip() for c in outer_codes if c and c.strip()]
    spec = ""
    listed = listed_item(session, shop, platform_item_id, platform_sku_id)
    if listed is not None:
        codes += [c for c in (listed.outer_sku_code, listed.outer_item_code) if c]
        title = title or listed.title
        spec = listed.spec
    qty_hint = pack_size(title, spec, *codes)
    skus = list(session.exec(select(Sku).where(col(Sku.active)).order_by(col(Sku.code))))
    by_code = {s.code.lower(): s for s in skus}
    found: dict[str, Suggestion] = {}

    def offer(sku: Sku, basis: str, score: float) -> None:
        if sku.code not in found or found[sku.code].score < score:
            found[sku.code] = Suggestion(sku.code, sku.name, sku.spec, qty_hint, basis, score)

    for code in codes:
        exact = by_code.get(code.lower())
        if exact is not None:
            offer(exact, "outer code", 100.0 if exact.code == code else 90.0)
            continue
        barcode = session.exec(select(Sku).join(SkuBarcode, col(SkuBarcode.sku_id) == col(Sku.id))
                               .where(SkuBarcode.barcode == code)).first()
        if barcode is not None and barcode.active:
            offer(barcode, "barcode", 95.0)
        for sku in skus:  # an outer code built on ours: TW-001-3 for a pack of TW-001
            if len(sku.code) >= 3 and code.lower().startswith(sku.code.lower()):
                offer(sku, "outer code prefix", 70.0 + 10.0 * len(sku.code) / len(code))
    wanted = _plain(f"{title} {spec}")
    if wanted:
        for sku in skus:
            ratio = difflib.SequenceMatcher(None, wanted, _plain(f"{sku.name} {sku.spec}")).ratio()
            if ratio >= 0.3:
                offer(sku, "title", 60.0 * ratio)
    return sorted(found.values(), key=lambda s: (-s.score, s.code))[:limit]
