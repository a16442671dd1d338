"""Security headers for dashboard pages."""

# No inline script or style anywhere on the dashboard: JS and CSS come from static files, the
# QR code is inline SVG markup (no script). data: images are allowed for nothing but favicons.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PREFIX = "/dashboard/"


class DashboardSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(PREFIX):
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.setdefault("Referrer-Policy", "same-origin")
            response.setdefault("X-Content-Type-Options", "nosniff")
            # Operator pages hold live incident state: never keep them in any cache.
            response.setdefault("Cache-Control", "no-store, private")
        return response
