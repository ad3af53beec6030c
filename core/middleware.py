from django.conf import settings


class PermissionsPolicyMiddleware:
    """Add the Permissions-Policy header, which Django has no setting for.

    https://www.w3.org/TR/permissions-policy/ — the site needs no camera, microphone or
    location, so every page says so and embedded content cannot ask either.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
