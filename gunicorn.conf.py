"""gunicorn settings: `gunicorn "app:create_app()" -c gunicorn.conf.py`."""
import multiprocessing
import os

# Behind a proxy (PROXY_FIX_HOPS) only the proxy may connect: a client reaching gunicorn
# directly could forge X-Forwarded-For and X-Request-ID.
_host = os.environ.get("HOST", "127.0.0.1" if os.environ.get("PROXY_FIX_HOPS") else "0.0.0.0")
bind = os.environ.get("BIND", f"{_host}:{os.environ.get('PORT', '8000')}")
# Sync workers: measured steadier than gthread on this hardware class (keep-alive connections
# piled onto one gthread worker). CPU-bound rendering: 2 x cores + 1.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 2
max_requests = 2000          # recycle workers now and then: bounded memory growth
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# ISO 8601 times (UTC), the request id (also in the app's own lines and the X-Request-ID
# answer header) and the signed-in user's id: app/logs.py.
logger_class = "app.logs.GunicornLogger"
access_log_format = '%(t)s %(request_id)s user=%(user_id)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
