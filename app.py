"""Serve SmallB Academy locally: `python app.py` (embedded default: SQLite, demo content)."""
import os

os.environ.setdefault("SMALLB_ENV", "development")

from app import ConfigurationError, create_app  # noqa: E402  (`app` is the package app/, see README)

if __name__ == "__main__":
    try:
        portal = create_app()
    except ConfigurationError as error:  # one line that says what to set, not a traceback
        raise SystemExit(f"SmallB Academy: {error}") from None
    portal.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
