"""What every platform adapter offers, and the HTTP / retry / window machinery they share.

``PlatformClient.fetch_changed(start, end)`` yields every order the platform says changed in
``[start, end]`` (both inclusive, second precision), already mapped: a ``NormalizedOrder``, or a
``MalformedRecord`` for a record that cannot be mapped — never an exception for one bad record.
The window is split into the platform's maximum query window; an order seen in two adjoining
windows is yielded once per call.

Listings are read from the last page back to the first (``list_window``): Taobao and PDD list
newest first and document that forward paging loses orders that change mid-listing. A window of
many pages is split further. ``listing_lag`` says how far behind now a sync's window should end,
so an order changing during the listing leaves the window instead of moving within it.

Errors that stop a sync are ``PlatformError`` subclasses (``errors.py``): expired session, bad
signature, rate limiting that outlasted every retry, an unreachable platform.

Retries: rate limiting (platform code or HTTP 429) and HTTP 5xx are retried with exponential
back-off (``RetryPolicy``; delays and the sleep function are injectable so tests run fast).
Connection errors, timeouts and the platform's own transient errors (``PlatformUnavailable`` from
a payload, e.g. Taobao ``isp.*``) are retried only for read calls — a ship notice is never sent
twice on a guess.
"""

from __future__ import annotations

import json
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlparse

import httpx

from oms_tui.clock import utcnow
from oms_tui.config import ShopConfig
from oms_tui.errors import ConfigError
from oms_tui.money import InvalidAmount
from oms_tui.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformResponseError,
    PlatformUnavailable,
)
from oms_tui.platforms.mapping import BEIJING, MappingError
from oms_tui.platforms.tokens import ConfigToken, TokenSource
from oms_tui.redaction import redact
from oms_tui.services.catalogue.sku_mapping import ListedSku
from oms_tui.services.orders.normalized import NormalizedOrder
from oms_tui.services.orders.refunds import RefundNotice

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_PAGES = 10_000  # a guard against a platform that always says "has next"
# A window whose listing runs to more pages than this is halved (down to MIN_SPLIT_WINDOW) and each
# half listed on its own: few pages are read quickly, so fewer orders change while they are read.
SPLIT_AFTER_PAGES = 5
MIN_SPLIT_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class MalformedRecord:
    """A platform record we could not turn into a NormalizedOrder, with the reason and the raw data."""

    platform: str
    platform_order_id: str | None
    reason: str
    raw: Any = None

    def __str__(self) -> str:  # what a log line or an exception row shows
        return f"{self.platform} order {self.platform_order_id or '(no id)'}: {self.reason}"


FetchResult = NormalizedOrder | MalformedRecord


def mapped_or_malformed(platform: str, raw: Any, mapper: Callable[[Mapping[str, Any], str], Any],
                        id_key: str, shop: str = "", *, what: str = "") -> Any:
    """``mapper(raw, shop)``, or a MalformedRecord naming the order (when it has an id) and the reason;
    ``what`` (e.g. "refund") says in the reason which kind of record it was, when it is not an order."""
    if not isinstance(raw, dict):
        return MalformedRecord(platform, None, f"{what or 'record'} is not an object", raw)
    try:
        return mapper(raw, shop)
    except (MappingError, InvalidAmount) as exc:
        key = raw.get(id_key)
        return MalformedRecord(platform, str(key) if key not in (None, "") else None,
                               f"{what}: {exc}" if what else str(exc), raw)


@dataclass(frozen=True)
class ListingPage:
    """One page of a platform's listing of changed orders: its items and what it says of the rest."""

    items: list[Any]
    total: int | None = None  # orders in the whole window, when the platform gives it
    has_next: bool | None = None


def listing_total(value: Any) -> int | None:
    """A listing's total (a number or a digit string); None when it is missing or not a count."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def each_once(rows: list[Any], id_of: Callable[[Any], Any]) -> list[tuple[str | None, Any]]:
    """A listing's rows as (id, row), each order once: the last row read of it (the newest data). A
    row without an id (a malformed record) is kept once per distinct content: page 1 is read twice."""
    named: dict[str, Any] = {}
    unnamed: dict[str, Any] = {}
    for row in rows:
        key = id_of(row)
        if key in (None, ""):
            unnamed.setdefault(json.dumps(row, sort_keys=True, default=str), row)
        else:
            named[str(key)] = row
    return [*named.items(), *((None, row) for row in unnamed.values())]


def count_pages(first: ListingPage, read_page: Callable[[int], ListingPage], *, page_size: int,
                max_pages: int = MAX_PAGES, error: Callable[[str], Exception] | None = None) -> int:
    """How many pages the listing has, from its first page.

    With a total (Taobao ``total_results``, PDD ``total_count``, JD ``orderTotal``) that is arithmetic.
    A platform that gives only ``has_next`` is walked forward page by page to find the last one — the
    pages are read twice then (once to count, once backwards), so the adapters ask for the total.
    """
    if first.total is not None:
        return max(1, -(-max(first.total, 0) // page_size))
    page, current = 1, first
    while current.has_next or (current.has_next is None and len(current.items) >= page_size):
        page += 1
        if page > max_pages:
            raise (error or ValueError)(f"more than {max_pages} pages")
        current = read_page(page)
        if not current.items:
            return page - 1
    return page


@dataclass
class RetryPolicy:
    """Bounded exponential back-off: ``base_delay * multiplier**n``, capped, with optional jitter."""

    attempts: int = 5  # total tries, the first included
    base_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.1  # ± fraction of each delay
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    # A platform that asks for a longer pause than this (Taobao: "This ban will last for N more seconds")
    # is not waited out inside the call: the error goes up with its retry_after and the sync pauses the shop.
    max_wait: float = 60.0

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """The pause before retry ``retry_number`` (0-based): the back-off, at least what the platform
        asked for (Retry-After, a ban's seconds), capped at ``max_delay``."""
        base = min(self.base_delay * (self.multiplier ** retry_number), self.max_delay)
        if self.jitter and base:
            base *= 1 + self.rng.uniform(-self.jitter, self.jitter)
        if retry_after is not None and retry_after >= 0:
            base = min(max(base, retry_after), self.max_delay)
        return max(0.0, base)

    @classmethod
    def no_wait(cls, attempts: int = 3, sleep: Callable[[float], None] | None = None) -> RetryPolicy:
        """For tests: the same schedule without waiting (``sleep`` may record the delays)."""
        return cls(attempts=attempts, base_delay=0.01, max_delay=0.05, jitter=0.0,
                   sleep=sleep or (lambda _s: None))


def split_window(start: datetime, end: datetime, max_span: timedelta, *,
                 same_day_tz: timezone | None = None) -> list[tuple[datetime, datetime]]:
    """Split ``[start, end]`` into windows no longer than ``max_span``.

    Times are floored to the second (the platforms' precision). With ``same_day_tz`` a window
    never crosses midnight in that zone: it ends at 23:59:59 and the next starts at 00:00:00.
    Otherwise adjoining windows share their boundary second (the caller de-duplicates).
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("sync window times must carry their time zone")
    if max_span <= timedelta(0):
        raise ValueError("max_span must be positive")
    start = start.replace(microsecond=0)
    end = end.replace(microsecond=0)
    if start > end:
        raise ValueError(f"sync window starts after it ends: {start.isoformat()} > {end.isoformat()}")
    windows: list[tuple[datetime, datetime]] = []
    cur = start
    while True:
        nxt = min(end, cur + max_span)
        if same_day_tz is not None:
            local = cur.astimezone(same_day_tz)
            midnight = (local.replace(hour=0, minute=0, second=0) + timedelta(days=1)).astimezone(start.tzinfo)
            if nxt >= midnight:
                windows.append((cur, midnight - timedelta(seconds=1)))
                cur = midnight
                if cur > end:
                    break
                continue
        windows.append((cur, nxt))
        if nxt >= end:
            break
        cur = nxt
    return windows


def endpoint_url(base_url: str, default_path: str) -> str:
    """The shop's ``base_url`` as the endpoint; a bare host gets the platform's usual path."""
    base = base_url.strip()
    if urlparse(base).path in ("", "/"):
        return base.rstrip("/") + default_path
    return base


class PlatformClient(ABC):
    """One shop on one platform. Use as a context manager, or call ``close()``."""

    platform: ClassVar[str]
    default_path: ClassVar[str]  # appended to a base_url that has no path
    max_window: ClassVar[timedelta]
    same_day_windows: ClassVar[bool] = False
    max_page_size: ClassVar[int] = 100
    # How far behind now a sync's window must end. Reading from the last page back loses nothing only
    # while an order that changes leaves the window; one that changes within it moves to the front.
    listing_lag: ClassVar[timedelta] = timedelta(0)
    default_courier_codes: ClassVar[Mapping[str, str]] = {}

    def __init__(self, shop: ShopConfig, *, http: httpx.Client | None = None,
                 timeout: float | httpx.Timeout | None = None, retry: RetryPolicy | None = None,
                 page_size: int = 100, clock: Callable[[], datetime] = utcnow,
                 courier_codes: Mapping[str, str] | None = None, tokens: TokenSource | None = None) -> None:
        """``courier_codes`` maps our courier codes (Kuaidi100 style, ``yuantong``) to the platform's
        company code / logistics id for ship notices, over the module's defaults. ``tokens`` is where the
        shop's session / access_token comes from (default: the config's; ``registry.client_for(shop,
        engine=...)`` gives the one `oms shop authorize` stored)."""
        if shop.platform != self.platform:
            raise ValueError(f"shop {shop.name!r} is a {shop.platform} shop, not {self.platform}")
        if not 1 <= page_size <= self.max_page_size:
            raise ValueError(f"page_size must be 1..{self.max_page_size}")
        self.shop = shop
        try:
            self.endpoint = endpoint_url(shop.base_url, self.default_path)
            httpx.URL(self.endpoint)
        except (ValueError, httpx.InvalidURL) as exc:  # else raised by the first request, past every handler
            raise ConfigError(redact(f"shop {shop.name!r}: base_url is not a URL ({exc}): {shop.base_url}",
                                     shop.secret_values())) from None
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self.clock = clock
        self.courier_codes: dict[str, str] = {**self.default_courier_codes, **shop.courier_codes,
                                              **(courier_codes or {})}
        self.tokens: TokenSource = tokens or ConfigToken(shop)
        self._last_token = ""
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=timeout if timeout is not None else DEFAULT_TIMEOUT)

    # --- public API --------------------------------------------------------------------------

    def fetch_changed(self, start: datetime, end: datetime) -> Iterator[FetchResult]:
        """Every order changed in ``[start, end]``, mapped; windows split to the platform's limit. Adjoining
        windows share their boundary second: what both list is yielded once (a record without an id, once per
        distinct content, as ``each_once`` keeps it within a window)."""
        windows = split_window(start, end, self.max_window, same_day_tz=BEIJING if self.same_day_windows else None)
        seen: set[str] = set()
        for w_start, w_end in windows:
            for item in self._fetch_window(w_start, w_end):
                key = item.platform_order_id
                if key is None:
                    key = "\0" + json.dumps(getattr(item, "raw", None), sort_keys=True, default=str)
                if key in seen:
                    continue
                seen.add(key)
                yield item

    def fetch_one(self, platform_order_id: str) -> FetchResult:
        """One order by its platform id (what a pushed notification names), mapped.

        Platforms whose documented API has no single-order call take pushed orders in with
        the next incremental sync instead.
        """
        raise PlatformResponseError(self.platform, self.shop.name, detail="no single-order API; "
                                    "the order arrives with the next incremental sync")

    def fetch_refunds(self, start: datetime, end: datetime, *,
                      open_refund_ids: Sequence[str] = ()) -> Iterator[RefundNotice | MalformedRecord]:
        """Every refund / after-sale request the platform says changed in ``[start, end]``, mapped; a refund
        seen in two adjoining windows is yielded once per call. ``open_refund_ids``: refunds still open on
        our side, for a platform whose refund list cannot be asked by modified time (JD) to read again."""
        raise PlatformResponseError(self.platform, self.shop.name, detail="no refund list API in this adapter")

    def list_items(self) -> Iterator[ListedSku]:
        """The shop's items on sale, one entry per SKU (per item for an item without SKUs)."""
        raise PlatformResponseError(self.platform, self.shop.name, detail="no item list API in this adapter")

    @abstractmethod
    def ship(self, platform_order_id: str, waybill: str, courier_code: str) -> None:
        """Tell the platform the order left with ``waybill`` via ``courier_code`` (our courier code)."""

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def access_token(self) -> str:
        """The shop's session / access_token for the next request ('' when it has none)."""
        self._last_token = self.tokens.current() or ""
        return self._last_token

    def _token_replaced(self) -> bool:
        """After the platform refused our token: whether a newer one is stored (the scheduler refreshed it
        meanwhile) to try instead; if not, the refusal is recorded for the shop's authorization status."""
        fresh = self.tokens.fresh() or ""
        if fresh and fresh != self._last_token:
            return True
        self.tokens.refused(self._last_token)
        return False

    # --- for subclasses ----------------------------------------------------------------------

    @abstractmethod
    def _fetch_window(self, start: datetime, end: datetime) -> Iterator[FetchResult]:
        """The orders of one window no longer than ``max_window``."""

    @abstractmethod
    def _request_params(self, api: str, biz: Mapping[str, Any]) -> dict[str, str]:
        """System + business parameters, signed (called afresh for every try: new timestamp)."""

    def _post(self, api: str, params: dict[str, str]) -> httpx.Response:
        """Send one signed call: a form POST to the one router URL (Taobao, JD, PDD); Douyin overrides it."""
        return self._http.post(self.endpoint, data=params)

    @abstractmethod
    def _unwrap(self, api: str, payload: Any) -> dict[str, Any]:
        """The API's response body, or raise the PlatformError the payload describes."""

    def _error(self, cls: type[PlatformError], code: Any = None, detail: str = "", *,
               sent: Mapping[str, str] | None = None, **kw: Any) -> PlatformError:
        """A ``cls`` for this shop, every secret masked (``sent``: the request's parameters, whose
        signature a platform's error page may echo back)."""
        return cls(self.platform, self.shop.name, code, detail, **kw).redact(self._secrets(sent))

    def _secrets(self, sent: Mapping[str, str] | None = None) -> list[str]:
        return [*self.shop.secret_values(), *([self._last_token] if self._last_token else []),
                *([sent["sign"]] if sent and sent.get("sign") else [])]

    def _response_text(self, response: httpx.Response, sent: Mapping[str, str], limit: int = 200) -> str:
        """The start of a response body for an error message, secrets masked *before* cutting (a
        secret cut in half would no longer be recognised)."""
        return redact(response.text[:limit * 10], self._secrets(sent))[:limit]

    def _call(self, api: str, biz: Mapping[str, Any], *, idempotent: bool = True) -> dict[str, Any]:
        """POST one API call; retry rate limiting and 5xx (and, if idempotent, network errors)."""
        last: PlatformError | None = None
        attempts = max(1, self.retry.attempts)
        for attempt in range(attempts):
            if attempt:
                pause = self.retry.delay(attempt - 1, last.retry_after if last else None)
                log.info("%s shop %s: %s, retry %d/%d in %.2fs", self.platform, self.shop.name, last,
                         attempt, attempts - 1, pause)
                self.retry.sleep(pause)
            params = self._request_params(api, biz)
            try:
                response = self._post(api, params)
            except httpx.TimeoutException as exc:
                last = self._error(PlatformUnavailable, None, f"timed out: {exc.__class__.__name__}", api=api)
                if idempotent:
                    continue
                raise last from None  # its text is in the message, redacted; chained, a traceback would show it raw
            except httpx.TransportError as exc:
                last = self._error(PlatformUnavailable, None, f"cannot reach {self.endpoint}: {exc}", sent=params,
                                   api=api)
                if idempotent:
                    continue
                raise last from None
            status = response.status_code
            if status == 429:
                last = self._error(PlatformRateLimited, "HTTP 429", "too many requests", api=api)
                last.retry_after = _retry_after(response)
                if self._ban_outlasts_retries(last):
                    raise last
                continue
            if status >= 500:
                last = self._error(PlatformUnavailable, f"HTTP {status}", self._response_text(response, params),
                                   api=api)
                last.retry_after = _retry_after(response)
                continue
            if status >= 400:
                raise self._error(PlatformResponseError, f"HTTP {status}", self._response_text(response, params),
                                  api=api)
            try:
                payload = json.loads(response.content, parse_float=Decimal)
            except ValueError:
                raise self._error(PlatformResponseError, None, f"not JSON: {self._response_text(response, params)!r}",
                                  api=api) from None
            try:
                return self._unwrap(api, payload)
            except PlatformRateLimited as exc:  # refused before it was done: safe to send again
                last = exc.redact(self._secrets(params))
                if self._ban_outlasts_retries(last):
                    raise last from None
                continue
            except PlatformUnavailable as exc:  # the platform's own transient failure (Taobao isp.*)
                last = exc.redact(self._secrets(params))
                if idempotent:
                    continue
                raise
            except PlatformError as exc:
                exc.redact(self._secrets(params))
                if isinstance(exc, PlatformAuthError) and self._token_replaced():
                    last = exc  # a refreshed token is stored: the next try sends it
                    continue
                raise
        assert last is not None
        raise last

    def list_window(self, start: datetime, end: datetime,
                    read_page: Callable[[datetime, datetime, int], ListingPage], api: str) -> list[Any]:
        """Every item the platform lists for ``[start, end]``, read from the last page back to the first.

        Page 1 comes first for the total; a window of more than ``SPLIT_AFTER_PAGES`` pages is halved
        and each half listed on its own; then the pages are read from the last to the first, page 1
        again at the end. An order that changes meanwhile leaves the window and the ones behind it
        move up onto pages still to be read, so none is skipped (read forwards, one would be). Items
        may repeat (page 1 twice, an order moving up); the caller keeps the last one read.
        """
        return [item for items in self.listed_windows(start, end, read_page, api) for item in items]

    def listed_windows(self, start: datetime, end: datetime,
                       read_page: Callable[[datetime, datetime, int], ListingPage], api: str) -> Iterator[list[Any]]:
        """``list_window``'s items one listed window at a time (each half of a halved window on its own, earliest
        first), as each is read: a sync holds one window of a few pages, not a whole day of orders (Taobao's
        windows are a day long). The halves cover disjoint times: an order is in one of them."""
        first = read_page(start, end, 1)
        pages = count_pages(first, lambda page: read_page(start, end, page), page_size=self.page_size,
                            error=lambda detail: self._error(PlatformResponseError, None, detail, api=api))
        if pages > SPLIT_AFTER_PAGES and end - start >= 2 * MIN_SPLIT_WINDOW:
            middle = (start + (end - start) / 2).replace(microsecond=0)
            yield from self.listed_windows(start, middle, read_page, api)
            yield from self.listed_windows(middle + timedelta(seconds=1), end, read_page, api)
            return
        if pages == 1:
            yield list(first.items)
            return
        self._paginate_guard(pages, api)
        items = list(first.items)
        for page in range(pages, 0, -1):
            items.extend(read_page(start, end, page).items)
        yield items

    def _ban_outlasts_retries(self, exc: PlatformError) -> bool:
        """A rate limit whose ban is longer than ``retry.max_wait``: retrying within this call is futile."""
        return exc.retry_after is not None and exc.retry_after > self.retry.max_wait

    def _paginate_guard(self, page: int, api: str) -> None:
        if page > MAX_PAGES:
            raise self._error(PlatformResponseError, None, f"more than {MAX_PAGES} pages", api=api)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def beijing_timestamp(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC+8: the ``timestamp`` system parameter of Taobao and JD."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def as_str_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Wire form of parameters: drop None, bools as 'true'/'false', dict/list as compact JSON."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            out[key] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        else:
            out[key] = str(value)
    return out
