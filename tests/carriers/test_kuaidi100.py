"""The Kuaidi100 adapter: its signers against PROTOCOLS.md's vector and formula, answers it refuses to guess at,
and the push endpoint of the webhook process (a wrong sign is refused and changes nothing)."""

import base64
import hashlib

import pytest

from oms_tui.carriers import kuaidi100
from oms_tui.config import Kuaidi100Config
from oms_tui.services.shipping.services import CarrierError, CarrierRefused, LabelRequest


def test_query_sign_reproduces_the_protocol_vector():
    param = '{"com":"yuantong","num":"YT1234567890123","phone":"1234","resultv2":"1"}'
    assert kuaidi100.query_sign(param, "kd100key", "KD100CUSTOMER") == "E3DED2A4FE2FADFAECCCF44A0C1DD11D"


def test_label_sign_is_md5_of_param_t_key_secret_upper():
    param = kuaidi100.compact_json({"kuaidicom": "zhongtong", "recManName": "张三"})
    assert "张三" in param  # Chinese unescaped
    expected = hashlib.md5((param + "1764400000000" + "K" + "S").encode()).hexdigest().upper()
    assert kuaidi100.label_sign(param, "1764400000000", "K", "S") == expected


@pytest.mark.parametrize("answer", [
    {"success": True, "code": 200, "data": {"kdComOrderNum": "X", "label": "aGk="}},  # no number
    {"success": True, "code": 200, "data": {"kuaidinum": "7312"}},  # no label
    {"success": True, "code": 200, "data": {"kuaidinum": "7312", "label": "not base64!"}},
    {"unexpected": 1}, [1, 2]])
def test_unexpected_label_answers_fail_loudly(answer):
    with pytest.raises(CarrierError):
        kuaidi100.parse_label_answer(answer)


def test_wrong_secret_is_refused_by_the_simulator_and_never_quoted(kd):
    config = Kuaidi100Config(**{**kd.kuaidi100_config(), "secret": "wrong-secret-value"})
    client = kuaidi100.Kuaidi100Client(config)
    try:
        with pytest.raises(CarrierRefused) as refused:
            client.create_label(LabelRequest("R1", "zhongtong", "张三", "13800138000", "浙江省杭州市文三路 1 号"))
    finally:
        client.close()
    assert "签名错误" in str(refused.value) and "wrong-secret-value" not in str(refused.value)
    assert kd.kuaidi100.waybills == {}


def test_label_comes_back_with_an_image_and_unknown_numbers_have_no_result(kd):
    carrier = kuaidi100.Kuaidi100Client(Kuaidi100Config(**kd.kuaidi100_config()))
    answer = carrier.create_label(LabelRequest("R2", "yuantong", "张三", "13800138000", "浙江省杭州市文三路 1 号"))
    assert answer.waybill.startswith("YT") and base64.b64decode(answer.label_base64)[:4] == b"\x89PNG"
    assert carrier.query("yuantong", "YT9999999999999").no_result


