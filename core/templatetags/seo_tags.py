from django import template

from core.seo import json_ld_script

register = template.Library()

register.simple_tag(json_ld_script, name="json_ld")
