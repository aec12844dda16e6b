# Loaded with Django so that the job task is bound to this app (its broker) in web processes too.
from .celery import app as celery_app

__all__ = ("celery_app",)
