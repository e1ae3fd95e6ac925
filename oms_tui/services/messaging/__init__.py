"""Messaging: the outbox's senders and the table that picks one per message kind."""
