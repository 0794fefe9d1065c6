"""Serve SmallB Academy locally: `python app.py` (embedded default: SQLite, demo content)."""
import os

os.environ.setdefault("SMALLB_ENV", "development")

from app import create_app  # noqa: E402  (`app` here is the package app/, see README)

if __name__ == "__main__":
    create_app().run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
