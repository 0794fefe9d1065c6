"""Celery worker entry: `celery -A app.worker worker`. The only module that builds the app at import."""
from . import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
