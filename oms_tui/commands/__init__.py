"""Sub-commands of ``oms`` that live in their own modules; cli.py adds each with ``app.add_typer``."""
