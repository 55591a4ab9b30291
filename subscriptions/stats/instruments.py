"""What each process measures on its own, for /metrics: blocked sign-ups, request times and
provider calls. With PROMETHEUS_MULTIPROC_DIR set (settings set it under VAR_DIR), every web and
worker process of a host writes its values there and /metrics adds them up; processes on other
hosts are scraped on their own hosts.

Counts that must agree across hosts (statuses, emails by outcome) come from the database at
scrape time instead (scrape.py).
"""

from prometheus_client import Counter, Histogram

SIGNUPS_BLOCKED = Counter(
    "newsroom_signups_blocked",
    "Sign-ups the abuse pipeline stopped, by step: honeypot (dropped with the normal answer); "
    "form_token, form_expired, too_fast, too_fast_again (asked to press Subscribe again); "
    "captcha (over the per-IP limit, asked to solve the captcha); ip_rate (over the per-IP "
    "limit, told when to try again).",
    ["reason"],
)
SECOND_STEPS_COMPLETED = Counter(
    "newsroom_signups_second_step_completed",
    "Sign-ups that passed after the pipeline asked for a second step, by the step that "
    "asked: the people a silent drop would have lost.",
    ["reason"],
)
REQUEST_SECONDS = Histogram(
    "newsroom_request_seconds",
    "Time to answer a request, by view.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PROVIDER_CALL_SECONDS = Histogram(
    "newsroom_provider_call_seconds",
    "Time of one call to the email provider, by how it ended (sent or error).",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
