"""Translations with gettext: the ``oms`` domain in ``locale/<lang>/LC_MESSAGES/oms.mo``.

Message ids are English. ``_()`` looks the text up in the language chosen last by
``setup_language``, so a string must be translated when it is shown, not at import time:
class-level texts (binding descriptions, menu titles) are marked with ``N_()`` and passed
through ``_()`` where they are drawn. ``scripts/compile_catalogs.py`` turns the .po files into
the .mo files shipped beside them; tests/test_i18n.py fails when a msgid is missing.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable, Mapping
from pathlib import Path

DOMAIN = "oms"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "en"

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = DEFAULT_LANGUAGE


def normalize_language(value: str | None) -> str | None:
    """'zh', 'zh_CN.UTF-8', 'zh-Hans' → 'zh_CN'; 'en_US' or 'C.UTF-8' → 'en'; empty → None."""
    if not value or not value.strip():
        return None
    return "zh_CN" if value.strip().lower().startswith("zh") else "en"


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale variables ask for, checked in the order the C library does."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        lang = normalize_language(environ.get(name))
        if lang:
            return lang
    return DEFAULT_LANGUAGE


def resolve_language(configured: str | None, environ: Mapping[str, str] | None = None) -> str:
    """``Settings.language`` (config file / OMS_LANGUAGE) if set, else the locale's."""
    return normalize_language(configured) or language_from_environment(environ)


def setup_language(lang: str | None) -> str:
    """Switch every later ``_()`` to ``lang`` (None: from the environment); returns the code used."""
    global _translation, _language
    code = resolve_language(lang)
    _translation = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[code], fallback=True)
    _language = code
    return code


def translator(lang: str | None) -> Callable[[str], str]:
    """``_`` for one language without switching everyone's (an e-mail for people who read another)."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[resolve_language(lang)],
                               fallback=True).gettext


def current_language() -> str:
    return _language


def _(message: str) -> str:
    """The translation of ``message`` in the current language (the message itself if none)."""
    return _translation.gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues without translating it yet (translated where shown)."""
    return message
