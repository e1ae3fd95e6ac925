"""How an alert reads on each channel, in the channel's language: a title line, a plain-text body
(text robots, e-mail), a markdown body (DingTalk and WeCom markdown) and the short values an SMS
template takes. The subject is stored as a phrase (``oms_tui.phrases``) and rendered here."""

from __future__ import annotations

from oms_tui.i18n import N_, translator
from oms_tui.phrases import render as render_phrase
from oms_tui.services.core import outbox
from oms_tui.services.messaging import events
from oms_tui.services.messaging.channels import RenderedNotice

LABELS = {
    "event": N_("Event"),
    "order": N_("Order"),
    "platform": N_("Platform"),
    "shop": N_("Shop"),
    "skus": N_("SKUs"),
}
SMS_VALUE_CHARS = 35  # what an SMS template variable may hold (Aliyun's limit for most templates; unconfirmed)


def render(alert: outbox.Alert, subject: str, *, language: str | None, shop_name: str,
           mentions: tuple[str, ...] = ()) -> RenderedNotice:
    """``alert`` (with its stored ``subject``) written for a channel that reads ``language``."""
    _ = translator(language)
    event = _(events.title(alert.event))
    headline = render_phrase(subject, _) or event
    facts: list[tuple[str, str]] = [(_(LABELS["event"]), event)]
    if alert.order:
        facts.append((_(LABELS["order"]), f"{alert.order} ({alert.platform})" if alert.platform else alert.order))
    elif alert.platform:
        facts.append((_(LABELS["platform"]), alert.platform))
    if alert.shop:
        facts.append((_(LABELS["shop"]), alert.shop))
    if alert.skus:
        facts.append((_(LABELS["skus"]), ", ".join(alert.skus)))
    facts += list(alert.detail.items())
    signature = f"— {shop_name} OMS"
    text = "\n".join([headline, "", *(f"{label}: {value}" for label, value in facts), "", signature]) + "\n"
    markdown = "\n".join([f"### {_md(headline)}", "", *(f"- **{_md(label)}**: {_md(value)}" for label, value in facts),
                          "", f"> {_md(signature)}"])
    if mentions:  # DingTalk only rings the people it is asked to when their numbers are in the text
        text += " ".join(f"@{phone}" for phone in mentions) + "\n"
        markdown += "\n\n" + " ".join(f"@{phone}" for phone in mentions)
    sms = {"event": event[:SMS_VALUE_CHARS], "subject": headline[:SMS_VALUE_CHARS]}
    return RenderedNotice(title=f"[{shop_name}] {headline}", text=text, markdown=markdown, sms=sms, mentions=mentions)


def _md(value: str) -> str:
    """A value on one markdown line: a line break inside it would start a heading or a list of its own.
    (No backslash escapes: the robots' markdown subsets show them as they are.)"""
    return " ".join(str(value).split())
