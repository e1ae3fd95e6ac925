"""Every signing vector in PROTOCOLS.md, reproduced exactly."""

from __future__ import annotations

import pytest

from oms_tui.platforms.signing import (
    jd_sign,
    pdd_sign,
    string_to_sign,
    top_sign,
    verify,
)
from tests.helpers.platforms import (
    TOP_VECTOR_PARAMS,
    TOP_VECTOR_SECRET,
    TOP_VECTOR_SIGNS,
)

TOP_PARAMS = TOP_VECTOR_PARAMS


@pytest.mark.parametrize(("sign_method", "expected"), TOP_VECTOR_SIGNS)
def test_taobao_top_vectors(sign_method: str, expected: str) -> None:
    params = {**TOP_PARAMS, "sign_method": sign_method}
    assert top_sign(params, TOP_VECTOR_SECRET) == expected
    # the sign parameter itself never takes part
    assert top_sign({**params, "sign": "WHATEVER"}, "testsecret") == expected


def test_pdd_vector() -> None:
    params = {
        "type": "pdd.order.number.list.increment.get", "client_id": "pdd-client-1", "access_token": "pdd-token",
        "timestamp": "1795990800", "data_type": "JSON", "version": "V1", "is_lucky_flag": "0", "order_status": "5",
        "refund_status": "5", "start_updated_at": "1795989000", "end_updated_at": "1795990800", "page": "1",
        "page_size": "100", "use_has_next": "true",
    }
    assert pdd_sign(params, "pddsecret") == "DE268CD03323A8D453F66131B2B75250"


def test_jd_vector() -> None:
    params = {
        "method": "jingdong.pop.order.search", "app_key": "jd-app-1", "access_token": "jd-token",
        "timestamp": "2026-11-24 10:00:00", "format": "json", "v": "2.0", "sign_method": "md5",
        "360buy_param_json": '{"start_date":"2026-11-24 09:00:00","end_date":"2026-11-24 10:00:00",'
                             '"order_state":"WAIT_SELLER_STOCK_OUT","page":"1","page_size":"100"}',
    }
    assert jd_sign(params, "jdsecret") == "EB6121C9C60FB8702512F5167C0A7132"


def test_string_to_sign_sorts_by_byte_order_and_skips_sign_and_none() -> None:
    assert string_to_sign({"b": "2", "a": "1", "sign": "x", "Z": "0", "c": None, "360x": "j"}) == "360xjZ0a1b2"


def test_unknown_top_sign_method_is_an_error() -> None:
    with pytest.raises(ValueError, match="sign_method"):
        top_sign({**TOP_PARAMS, "sign_method": "sha1"}, "testsecret")


def test_verify_is_case_insensitive_and_rejects_missing() -> None:
    assert verify("dc19c80cded49f13a2d15b38941a3802", "DC19C80CDED49F13A2D15B38941A3802")
    assert not verify(None, "DC19")
    assert not verify("", "DC19")
    assert not verify("DC18", "DC19")
