"""The buyer portal (`oms portal`): the one web page of oms-tui, where a buyer signs in with an SMS code and sees
their orders and parcels. HTTP lives here; the rules in services/portal."""
