from django.template.response import TemplateResponse


def csrf_failure(request, reason=""):
    """A refused form gets the site's own page and a way back, not Django's bare 403."""
    response = TemplateResponse(
        request, "403_csrf.html", {"reason": "The form's security check failed."}, status=403
    )
    return response.render()
