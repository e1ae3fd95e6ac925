"""`oms simulate` prints the alert channels it serves as `[[notify.channels]]` tables that work as printed."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from oms_tui.config import NotifyConfig
from oms_tui.notifiers.registry import notifier_for
from oms_tui.services.messaging.channels import RenderedNotice


def test_simulate_prints_alert_channels_that_reach_its_robots_and_sms():
    process = subprocess.Popen([sys.executable, "-c", "from oms_tui.cli import main; main()", "simulate", "--port", "0",
                                "--orders", "0", "--rate", "0"], stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        for line in process.stdout:  # the last table printed is the SMS channel, its last key the phones
            lines.append(line)
            if line.startswith("phones = ") or len(lines) > 200:
                break
        printed = "".join(lines)
        config = tomllib.loads(printed.split("\n", 1)[1])  # after "simulator on http://…"
        notify = NotifyConfig(**config["notify"])
        assert [c.kind for c in notify.channels] == ["dingtalk", "wecom", "sms"]
        assert {shop["platform"] for shop in config["shops"]} == {"taobao", "jd", "pdd", "douyin"}
        notice = RenderedNotice(title="测试", text="测试消息", markdown="### 测试", sms={"event": "测试", "subject": "测试"})
        for channel in notify.channels:
            notifier = notifier_for(channel, None)
            try:
                notifier.send(notice)  # raises unless the simulator took it
            finally:
                notifier.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
