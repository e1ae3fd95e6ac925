"""Reports: the manager's dashboard (read model and its daily rollup), the KPI report, xlsx output.

The top service area: it only reads what the other areas wrote, so it may import any of them."""
