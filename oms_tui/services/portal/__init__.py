"""The buyer portal (`oms portal`): sign-in codes by SMS, sessions, a buyer's own orders, and the question box."""
