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
