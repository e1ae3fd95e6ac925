"""oms-tui: an order-management system for small and mid-sized e-commerce shops."""

__version__ = "0.1.0"
