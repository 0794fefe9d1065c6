"""Signed-cookie sessions whose cookie is Secure whenever the request came over HTTPS."""
from flask import has_request_context, request
from flask.sessions import SecureCookieSessionInterface


class SmallBSessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app) -> bool:
        configured = super().get_cookie_secure(app)
        return configured or (has_request_context() and request.is_secure)
