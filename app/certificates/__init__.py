"""Certificates: issued once by a Celery task, verifiable by anyone, signed credentials, PDF."""
