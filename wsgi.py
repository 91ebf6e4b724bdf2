"""The WSGI entry point: the only module-level Flask app (gunicorn wsgi:app)."""

from app import create_app

app = create_app()
