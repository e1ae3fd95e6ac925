"""Which platform refusals are final (a ship notice stops and a person is told) and which may pass later."""

import pytest

from oms_tui.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformResponseError,
    PlatformSignatureError,
    PlatformUnavailable,
)


@pytest.mark.parametrize(("platform", "code", "sub_code", "final"), [
    ("taobao", 15, "isv.trade-not-exist", True),  # the trade does not exist
    ("taobao", 15, "isv.logistics-offline-service-error", True),  # state does not allow shipping / bad waybill
    ("taobao", 15, "isp.remote-service-timeout", False),  # the platform's own fault
    ("taobao", 15, None, False),  # a remote service error that says nothing about the request
    ("taobao", 11, "isv.permission-api-package-limit", True),  # our app may not call it: sending again won't help
    ("taobao", 41, "isv.invalid-parameter", True),
    ("jd", "10400001", None, True),  # refused shipment (apiResult.success false)
    ("jd", "8", None, False),  # our clock is off, not the order
    ("pdd", 10000, "order_status_invalid", True),
    ("pdd", None, None, True),  # "was not accepted" without a code
])
def test_a_business_refusal_is_final_unless_it_is_the_platforms_own_fault(platform, code, sub_code, final):
    assert PlatformError(platform, "shop", code, "…", sub_code=sub_code).permanent is final


@pytest.mark.parametrize("cls", [PlatformAuthError, PlatformSignatureError, PlatformRateLimited, PlatformUnavailable,
                                 PlatformResponseError])
def test_sessions_signatures_rate_limits_the_network_and_odd_answers_are_transient(cls):
    assert cls("taobao", "shop", 15, "…", sub_code="isv.trade-not-exist").permanent is False


def test_the_platforms_own_words_are_what_a_person_reads():
    error = PlatformError("taobao", "shop", 15, "Remote service error / 交易不存在", sub_code="isv.trade-not-exist",
                          api="taobao.logistics.offline.send")
    assert error.platform_message == "Remote service error / 交易不存在 (isv.trade-not-exist)"
    assert PlatformError("jd", "shop", "19").platform_message == "code 19"


def test_a_platform_error_reads_in_the_readers_language_and_str_stays_english():
    """A shop's "last error" is stored as a phrase: the kind and hint are read in Chinese, the platform's
    own words as it said them."""
    from oms_tui.errors import OmsError
    from oms_tui.i18n import setup_language
    from oms_tui.phrases import english, from_error, render
    from oms_tui.platforms.errors import PlatformRateLimited

    error = PlatformRateLimited("taobao", "天猫店", 7, "This ban will last for 60 more seconds",
                                sub_code="accesscontrol.limited-by-app-access-count", api="taobao.trade.fullinfo.get")
    assert isinstance(error, OmsError)
    english_text = ("taobao shop '天猫店': rate limited (code 7: accesscontrol.limited-by-app-access-count: "
                    "This ban will last for 60 more seconds) calling taobao.trade.fullinfo.get — retried with "
                    "back-off; try again later")
    assert str(error) == english_text and english(from_error(error)) == english_text
    try:
        setup_language("zh_CN")
        shown = render(from_error(error))
        assert "被限流" in shown and "请稍后再试" in shown and "This ban will last for 60 more seconds" in shown
        assert "rate limited" not in shown and error.localized() == shown
    finally:
        setup_language("en")
