"""gunicorn's settings besides the command line's (deploy/supervisord.conf, the systemd unit,
tests/support/stack.py): gunicorn reads this file from its working directory, the checkout."""

# Every line stamped in UTC, as every process's (newsroom/logs.py).
logger_class = "newsroom.gunicorn_logging.Logger"
# Apache's combined format without its `%(t)s`, the worker's local time: each line's own stamp
# says when, in UTC. `%(M)s`, the milliseconds the request took, at the end.
access_log_format = '%(h)s %(l)s %(u)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
