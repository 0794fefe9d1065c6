"""Where uploaded images' bytes live: the database (default), a local folder, or S3.

Three methods, keyed by content digest, so app servers stay stateless when the store is the
database or S3. Pick with MEDIA_STORAGE=database|local|s3 (see the README).
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from ..database import insert_ignoring_duplicates
from ..extensions import db
from .models import StoredBlob


class DatabaseStorage:
    def put(self, key: str, data: bytes) -> None:
        insert_ignoring_duplicates(StoredBlob, key=key, data=data)

    def get(self, key: str) -> bytes | None:
        blob = db.session.get(StoredBlob, key)
        return blob.data if blob else None


class LocalStorage:
    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return  # content-addressed: same key, same bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader never sees half a file

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.exists() else None


class S3Storage:
    """Any S3-compatible store (AWS, Alibaba OSS, Tencent COS, MinIO) through boto3."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None,
                 prefix: str = "media/"):
        import boto3  # optional dependency: pip install -e ".[s3]"

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None,
                                   region_name=region or None)

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None


def media_storage():
    """The configured store, made once per app."""
    app = current_app._get_current_object()
    store = app.extensions.get("smallb_media_storage")
    if store is None:
        kind = app.config["MEDIA_STORAGE"]
        if kind == "local":
            store = LocalStorage(app.config["MEDIA_PATH"])
        elif kind == "s3":
            store = S3Storage(app.config["S3_BUCKET"], app.config["S3_ENDPOINT_URL"],
                              app.config["S3_REGION"])
        else:
            store = DatabaseStorage()
        app.extensions["smallb_media_storage"] = store
    return store
