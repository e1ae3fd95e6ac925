"""The portal's HTML: small string templates, every value escaped (``html.escape``), mobile-first, no script.

Texts are msgids translated with the page's translator (``[portal] language``, zh_CN by default).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from zoneinfo import ZoneInfo

from oms_tui.i18n import N_
from oms_tui.money import yuan
from oms_tui.names import BUYER_STATUS_NAMES, PLATFORM_NAMES, TRACK_STATE_NAMES
from oms_tui.phrases import render
from oms_tui.services.portal.answers import Answer
from oms_tui.services.portal.orders import BuyerOrder

Translate = Callable[[str], str]

CSS = """
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;
background:#f5f5f5;color:#222}main{max-width:640px;margin:0 auto;padding:12px}h1{font-size:20px;margin:8px 0 16px}
form{background:#fff;border-radius:8px;padding:12px;margin:0 0 12px}label{display:block;margin:0 0 6px}
input[type=tel],input[type=text]{width:100%;font-size:18px;padding:10px;border:1px solid #ccc;border-radius:6px}
button{margin-top:10px;width:100%;font-size:17px;padding:10px;border:0;border-radius:6px;background:#e4393c;color:#fff}
.error{background:#fdecea;color:#a00;padding:10px;border-radius:6px;margin:0 0 12px}
.notice{background:#e8f4fd;padding:10px;border-radius:6px;margin:0 0 12px}
.order{background:#fff;border-radius:8px;padding:12px;margin:0 0 12px}.order h2{font-size:16px;margin:0 0 6px}
.status{float:right;color:#e4393c}.muted{color:#777;font-size:14px}ol.timeline{margin:8px 0 0;padding-left:18px}
ol.timeline li{margin:0 0 6px;font-size:14px}.answer{background:#fff;border-radius:8px;padding:12px;margin:0 0 12px}
.answer p{margin:0 0 6px}.logout button{background:#888}
"""


def _(t: Translate, message: str) -> str:
    return escape(t(message))


def layout(t: Translate, lang: str, title: str, body: str) -> str:
    html_lang = "zh-CN" if lang == "zh_CN" else "en"
    return (f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title><link rel="stylesheet" href="/portal.css"></head>'
            f'<body><main>{body}</main></body></html>')


def _messages(error: str, notice: str) -> str:
    out = ""
    if error:
        out += f'<p class="error" role="alert">{escape(error)}</p>'
    if notice:
        out += f'<p class="notice" role="status">{escape(notice)}</p>'
    return out


def phone_page(t: Translate, lang: str, shop: str, *, csrf: str, phone: str = "", error: str = "",
               minutes: float = 5) -> str:
    hint = t(N_("We text a 6-digit code to this number; it works for {minutes} minutes.")).format(
        minutes=f"{minutes:g}")
    body = (f'<h1>{escape(shop)} · {_(t, N_("My orders"))}</h1>{_messages(error, "")}'
            f'<form method="post" action="/code"><input type="hidden" name="csrf" value="{escape(csrf)}">'
            f'<label for="phone">{_(t, N_("Mobile number you ordered with"))}</label>'
            f'<input type="tel" id="phone" name="phone" inputmode="numeric" autocomplete="tel" maxlength="20" '
            f'value="{escape(phone)}" required>'
            f'<button type="submit" id="send-code">{_(t, N_("Send me a code"))}</button></form>'
            f'<p class="muted">{escape(hint)}</p>')
    return layout(t, lang, t(N_("My orders")), body)


def code_page(t: Translate, lang: str, shop: str, *, csrf: str, phone: str, notice: str = "", error: str = "") -> str:
    body = (f'<h1>{escape(shop)} · {_(t, N_("My orders"))}</h1>{_messages(error, notice)}'
            f'<form method="post" action="/login"><input type="hidden" name="csrf" value="{escape(csrf)}">'
            f'<input type="hidden" name="phone" value="{escape(phone)}">'
            f'<label for="code">{_(t, N_("The 6-digit code from the SMS"))}</label>'
            f'<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" '
            f'maxlength="6" pattern="[0-9]{{6}}" required>'
            f'<button type="submit" id="sign-in">{_(t, N_("Show my orders"))}</button></form>'
            f'<form method="get" action="/"><button type="submit">{_(t, N_("Use another number"))}</button></form>')
    return layout(t, lang, t(N_("My orders")), body)


def _order(t: Translate, order: BuyerOrder, zone: ZoneInfo) -> str:
    platform = t(PLATFORM_NAMES.get(order.platform, order.platform))
    status = t(BUYER_STATUS_NAMES.get(order.status, order.status))
    items = "，".join(f"{line.title} ×{line.qty}" for line in order.lines)
    when = order.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    parts = [f'<section class="order" data-order="{escape(order.platform_order_id)}">'
             f'<h2>{escape(platform)} {escape(order.platform_order_id)}'
             f'<span class="status">{escape(status)}</span></h2>',
             f'<p class="muted">{escape(when)} · {escape(order.shop)} · {escape(yuan(order.paid_fen))}</p>']
    if items:
        parts.append(f'<p>{escape(items)}</p>')
    parts.append(f'<p class="muted">{_(t, N_("Receiver"))}: {escape(order.receiver_name)} '
                 f'{escape(order.receiver_phone)} {escape(order.receiver_region)}</p>')
    if order.waybill:
        parts.append(f'<p>{_(t, N_("Parcel"))}: {escape(order.courier or "")} {escape(order.waybill)}')
        if order.tracking is not None:
            parts.append(f' · <strong>{_(t, TRACK_STATE_NAMES.get(order.tracking.state, order.tracking.state))}'
                         f'</strong>')
        parts.append('</p>')
        if order.tracking is not None and order.tracking.events:
            parts.append('<ol class="timeline">')
            for event in order.tracking.events:
                at = event.at.astimezone(zone).strftime("%m-%d %H:%M")
                parts.append(f'<li><span class="muted">{escape(at)}</span> {escape(event.context)}</li>')
            parts.append('</ol>')
        elif order.tracking is not None:
            parts.append(f'<p class="muted">{_(t, N_("No tracking event yet."))}</p>')
    parts.append('</section>')
    return "".join(parts)


def orders_page(t: Translate, lang: str, shop: str, *, csrf: str, phone_masked: str, orders: list[BuyerOrder],
                zone: str, question: str = "", answer: Answer | None = None, error: str = "") -> str:
    tz = ZoneInfo(zone)
    parts = [f'<h1>{escape(shop)} · {_(t, N_("My orders"))}</h1>',
             f'<p class="muted">{_(t, N_("Signed in as"))} {escape(phone_masked)}</p>', _messages(error, ""),
             f'<form method="post" action="/ask"><input type="hidden" name="csrf" value="{escape(csrf)}">'
             f'<label for="q">{_(t, N_("Ask about your order (e.g. 发货了吗, 到哪了, 怎么退货, 能改地址吗)"))}</label>'
             f'<input type="text" id="q" name="q" maxlength="200" value="{escape(question)}">'
             f'<button type="submit" id="ask">{_(t, N_("Ask"))}</button></form>']
    if answer is not None:
        parts.append('<div class="answer" id="answer">'
                     + "".join(f'<p>{escape(render(line, t))}</p>' for line in answer.lines) + '</div>')
    if orders:
        parts.extend(_order(t, order, tz) for order in orders)
    else:
        parts.append(f'<p class="notice">{_(t, N_("No order found for this number."))}</p>')
    parts.append(f'<form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" '
                 f'value="{escape(csrf)}"><button type="submit">{_(t, N_("Sign out"))}</button></form>')
    return layout(t, lang, t(N_("My orders")), "".join(parts))


def message_page(t: Translate, lang: str, message: str) -> str:
    body = f'<p class="error">{escape(message)}</p><p><a href="/">{_(t, N_("Back"))}</a></p>'
    return layout(t, lang, t(N_("My orders")), body)
