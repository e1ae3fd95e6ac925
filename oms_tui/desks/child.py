"""One desk's app, run by the SSH or web server in a process of its own:
``python -m oms_tui.desks.child [--user NAME]``.

With ``--user`` the server has already proved who connects (their SSH key, or their PIN as the SSH
password), so the app opens signed in and the connection ends when they sign out. Without it the
sign-in screen asks for name and PIN (the browser desk). The server passes the database and config
through the environment (``OMS_DATABASE_URL``, ``OMS_CONFIG``)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="oms-desk")
    parser.add_argument("--user", default=None)
    args = parser.parse_args(argv)

    from oms_tui.app import OmsApp
    from oms_tui.config import get_settings
    from oms_tui.db import make_engine

    settings = get_settings()
    engine = make_engine(settings.database_url)
    vouched = bool(args.user)
    app = OmsApp(engine, settings, user_name=args.user, ask_pin=not vouched, quit_on_sign_out=vouched)
    try:
        app.run()
    finally:
        engine.dispose()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
