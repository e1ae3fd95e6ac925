"""Domain errors carry a translatable template: raised with ``N_("…")`` and values, shown in the reader's language.

A service does not know who reads its error (an SSH desk in Chinese, a script in English), so it never
translates when raising: it hands over the English msgid, marked for the catalogues, plus the values;
``exc.localized()`` translates where the message is shown and ``str(exc)`` stays English.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import string
import textwrap
from pathlib import Path

import pytest
from sqlmodel import Session

from oms_tui import i18n
from oms_tui.db import read_session, session_scope
from oms_tui.errors import IllegalTransition, NotFound, OmsError
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.orders import actions, queries
from tests.helpers.shop import ingest, seed_catalogue, stock_up

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "oms_tui"
# Where user-facing domain errors are raised: every service, the printers, the configuration.
SCANNED = sorted([*(PACKAGE / "services").rglob("*.py"), *(PACKAGE / "printers").rglob("*.py"),
                  PACKAGE / "config.py"])


def _module(path: Path):
    return importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))


def _resolve(module, func: ast.expr) -> object:
    """What the callee ``Name`` or ``name.Attr`` is in ``module``; None for anything else."""
    if isinstance(func, ast.Name):
        return getattr(module, func.id, None)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return getattr(getattr(module, func.value.id, None), func.attr, None)
    return None


def _is_domain_error(obj: object) -> bool:
    return isinstance(obj, type) and issubclass(obj, OmsError)


def _marked_literal(arg: ast.expr | None) -> str | None:
    """The msgid when ``arg`` is ``N_("…")`` with a literal (what scripts/compile_catalogs.py extracts)."""
    if (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "N_"
            and len(arg.args) == 1 and isinstance(arg.args[0], ast.Constant) and isinstance(arg.args[0].value, str)):
        return arg.args[0].value
    return None


def _marked_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = N_("…")``: raising ``SomeError(NAME)`` is as visible to the extractor."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            msgid = _marked_literal(node.value)
            if msgid is not None:
                found[node.targets[0].id] = msgid
    return found


def _template(call: ast.Call, constants: dict[str, str]) -> str | None:
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Name) and first.id in constants:
        return constants[first.id]
    return _marked_literal(first)


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _lit, name, _spec, _conv in string.Formatter().parse(template)
            if name}


def _problem(call: ast.Call, constants: dict[str, str]) -> str | None:
    """Why this construction of a domain error is not a template plus its values (None when it is)."""
    template = _template(call, constants)
    if template is None:
        return "the first argument is not N_(\"…\") with a literal"
    if any(kw.arg is None for kw in call.keywords):
        return None  # **params: the names are not known here
    missing = _fields(template) - {kw.arg for kw in call.keywords}
    return f"no value for {sorted(missing)}" if missing else None


def _builds_its_own_template(cls: type) -> bool:
    """A subclass whose constructor takes values, not a template (``AmbiguousReference(reference, orders)``)."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return bool(params) and params[0].name != "template"


def _constructor_problems(cls: type) -> list[str]:
    """A self-templating constructor passes ``N_("…")`` and the values to ``super().__init__``."""
    source = textwrap.dedent(inspect.getsource(cls.__init__))
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"
             and isinstance(node.func.value, ast.Call) and getattr(node.func.value.func, "id", "") == "super"]
    if not calls:
        return [f"{cls.__qualname__}.__init__ does not call super().__init__"]
    return [f"{cls.__qualname__}.__init__: {problem}" for call in calls if (problem := _problem(call, {}))]


def domain_error_sites() -> tuple[int, list[str]]:
    """How many domain errors the scanned modules construct, and those that are not a marked template."""
    seen, bad = 0, []
    for path in SCANNED:
        module = _module(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        constants = _marked_constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            cls = _resolve(module, node.func)
            if not _is_domain_error(cls):
                continue
            seen += 1
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if _builds_its_own_template(cls):
                bad += [f"{where}: {problem}" for problem in _constructor_problems(cls)]
            elif problem := _problem(node, constants):
                bad.append(f"{where}: {cls.__name__}(…): {problem}")
    return seen, bad


def test_every_domain_error_in_the_services_is_a_marked_template_with_its_values():
    seen, bad = domain_error_sites()
    # The scan must have found the raise sites, or it proves nothing.
    assert seen > 100, f"only {seen} domain errors found: is the scan resolving the classes?"
    assert not bad, "domain errors not raised as N_(\"template\") + values:\n" + "\n".join(bad)


def test_the_scan_catches_an_f_string_a_translated_text_and_a_missing_value():
    """The checker itself: each of these would slip past a scan that looked only for ``N_`` somewhere."""
    code = textwrap.dedent('''
        raise ValidationError(f"unknown SKU {code!r}")
        raise ValidationError(_("unknown SKU {code!r}").format(code=code))
        raise ValidationError(MESSAGE)
        raise ValidationError(N_("unknown SKU {code!r}"))
        raise ValidationError(N_("unknown SKU {code!r}"), code=code)
        raise ValidationError(N_("see {where}"), **params)
    ''')
    calls = [node.exc for node in ast.parse(code).body]
    problems = [_problem(call, {}) for call in calls]
    assert [p is not None for p in problems] == [True, True, True, True, False, False]
    assert problems[3] == "no value for ['code']"


@pytest.fixture
def shop(sqlite_engine):
    seed_catalogue(sqlite_engine)
    return sqlite_engine


@pytest.fixture
def chinese():
    i18n.setup_language("zh_CN")
    try:
        yield
    finally:
        i18n.setup_language("en")


def _raised(call) -> OmsError:
    with pytest.raises(OmsError) as caught:
        call()
    return caught.value


def test_an_unknown_sku_reads_in_chinese_and_logs_in_english(shop, chinese):
    with read_session(shop) as s:
        error = _raised(lambda: catalogue.get_sku(s, "NOPE-9"))
    assert isinstance(error, NotFound)
    assert error.localized() == "未知 SKU 或条码 'NOPE-9'"
    assert str(error) == "unknown SKU or barcode 'NOPE-9'"


def test_an_illegal_transition_reads_in_chinese(shop, chinese):
    stock_up(shop, "HG-001", 5)
    order = ingest(shop, "T1", {"HG-001": 1})

    def ship(s: Session) -> None:
        actions.ship(s, queries.get_order(s, order.id), waybill="YT1", courier="yuantong", user="w")

    with session_scope(shop) as s:
        error = _raised(lambda: ship(s))
    assert isinstance(error, IllegalTransition)
    assert error.localized() == "订单 T1 当前为 ready；只有已打包的订单可以发货"
    assert str(error) == "Order T1 is ready; only packed orders ship"


def test_the_same_error_reads_in_the_language_chosen_when_it_is_shown(shop):
    """Raised once, shown twice: the language is the reader's at display time, not the raiser's."""
    with read_session(shop) as s:
        error = _raised(lambda: catalogue.get_warehouse(s, "WH9"))
    try:
        i18n.setup_language("zh_CN")
        assert error.localized() == "未知仓库 'WH9'；已有：WH1"
    finally:
        i18n.setup_language("en")
    assert error.localized() == "unknown warehouse 'WH9'; known: WH1"
