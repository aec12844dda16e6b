"""The Celery application: `celery -A zelenchuk_portal worker` runs the portal's background jobs.

Configured from Django settings under the `CELERY_` prefix (CELERY_BROKER_URL…). The only task is
the job runner of `jobs.py`; what a job does is registered there by the apps that own the work.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zelenchuk_portal.settings")

app = Celery("zelenchuk_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["zelenchuk_portal"], related_name="jobs")
