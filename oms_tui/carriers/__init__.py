"""Courier adapters: Kuaidi100 (e-waybills, tracking subscription, the real-time query). Beside
``oms_tui.platforms`` and ``oms_tui.notifiers``, the only other place that speaks HTTP."""
