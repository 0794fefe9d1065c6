"""Response headers every page gets: CSP without inline script, no sniffing, no framing, no
powers the portal never uses, no window shared with another site."""
from flask import g, request
from flask_login import current_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# Browser features the portal never uses are off for it and anything it might embed, so a
# script that slipped into a lesson could not ask for the camera, the position or a payment.
# Copying to the clipboard stays allowed on our own pages: invite pages copy their link.
PERMISSIONS_POLICY = ", ".join([
    *(f"{feature}=()" for feature in (
        "accelerometer", "bluetooth", "browsing-topics", "camera", "clipboard-read",
        "display-capture", "geolocation", "gyroscope", "hid", "magnetometer", "microphone",
        "midi", "payment", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking")),
    "clipboard-write=(self)",
])


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    # A page we open with window.open, or one that opens us, gets no handle on our window.
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CSP)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # The user this request already loaded, if any (asking current_user.is_authenticated
    # after a commit would load her row again, one more query on every write).
    user = g.get("_login_user") or current_user
    if user and not user.is_anonymous and "Cache-Control" not in headers:
        # Personal pages must not be kept by shared phones' or proxies' caches.
        headers["Cache-Control"] = "no-store"
    return response


def upload_limit(config_key: str):
    """Let one view take bigger requests (an image, a course zip) than MAX_CONTENT_LENGTH."""
    def mark(view):
        view.upload_limit = config_key
        return view
    return mark


def apply_upload_limit():
    # Runs before CSRF checking, which is the first thing to read the request body.
    from flask import current_app

    key = getattr(current_app.view_functions.get(request.endpoint), "upload_limit", None)
    if key:
        request.max_content_length = current_app.config[key] + 64 * 1024  # form overhead
