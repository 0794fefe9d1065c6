"""Authoring: the course folder format, curriculum import (and later the trainer editor)."""
