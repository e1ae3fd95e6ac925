"""Business rules. Plain functions over a Session; no Textual, no HTTP."""
