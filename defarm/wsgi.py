import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defarm.settings")

application = get_wsgi_application()

from defarm.startup import prepare_serving  # noqa: E402

prepare_serving()
