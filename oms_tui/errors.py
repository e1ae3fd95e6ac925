"""Domain errors: every one carries a message a user can read as it is."""


class OmsError(Exception):
    """Base of all errors the CLI and screens show as one line."""


class ValidationError(OmsError):
    """Bad input: a negative quantity, an unknown code, a malformed value."""


class NotFound(OmsError):
    """A SKU, order, user or warehouse that does not exist."""


class InsufficientStock(OmsError):
    """A lock, ship or reservation that would make a bucket negative."""


class IllegalTransition(OmsError):
    """An order status change the lifecycle does not allow."""


class ConfigError(OmsError):
    """The configuration file or environment is wrong."""


class StorageError(OmsError):
    """The database cannot be reached or is not initialised."""


class AccountLocked(OmsError):
    """Too many wrong PINs for this name: it signs in again after a pause."""
