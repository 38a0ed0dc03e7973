"""gunicorn settings for production: `gunicorn --config gunicorn.conf.py wsgi:app`.

Behind nginx on the same machine (deploy/nginx/portail.conf). Every value can be changed
through the environment without editing this file."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the portal's requests are short and never wait on an outside service
# (e-mail goes through the worker). Two per core plus one is gunicorn's advice.
workers = int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) * 2 + 1))
threads = 1
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests: memory never creeps up for weeks.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The portal logs one line per request itself (with its request id and who made it):
# gunicorn's access log would repeat it, with the query string the portal leaves out.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# nginx on this machine sets X-Forwarded-Proto; the portal's ProxyFix trusts it too.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "portail-web"
