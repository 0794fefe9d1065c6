"""The shop API: token-authenticated JSON (no cookies, no CSRF), OpenAPI, tier webhooks."""
