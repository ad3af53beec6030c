import os

from django.core.wsgi import get_wsgi_application

from config.startup import load_settings_or_exit
from core.pagecache import serve_cached_pages

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
load_settings_or_exit()
application = serve_cached_pages(get_wsgi_application())
