"""After the pack station: e-waybills and their labels, tracking (push and poll), stalled parcels."""
