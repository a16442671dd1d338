import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
application = get_wsgi_application()

# Repeated reads of a public document are answered before Django's request handling (the
# outage-day spike is all repeated reads); see statuspage/public_cache/.
from statuspage.public_fast_path import fast_path  # noqa: E402 - needs the app registry ready

application = fast_path(application)
