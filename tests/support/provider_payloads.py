"""Tracking-webhook requests as Postmark, Mailgun, Amazon SES (through SNS) and Brevo send them
to anymail's URLs, carrying the metadata we send with, the way each provider echoes it back.

Shapes: django-anymail's test suite (github.com/anymail/django-anymail, tests/) and the
providers' webhook docs, cited per builder; checked against the installed anymail (15.2).
`supported()` says which cases a provider has; ANYMAIL_EVENT_TYPE the event_type anymail gives.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PROVIDERS = ("postmark", "mailgun", "amazon_ses", "brevo")
CASES = ("hard_bounce", "soft_bounce", "complaint", "unsubscribe", "rejected", "deferred")
MAILGUN_SIGNING_KEY = "test-mailgun-signing-key"  # settings.ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"]

SENDER = "newsletters@news.example"
SUBJECT = "Your morning briefing"

# The event_type anymail 15.2 gives each case, in CASES order; None: the provider has no such
# event (SES reports no unsubscribe). Soft bounces are "deferred" on Mailgun only, because anymail
# remaps Mailgun's severity "temporary"; it has no branch for SES "DeliveryDelay" ("unknown").
_EVENT_TYPES: dict[str, tuple[str | None, ...]] = {
    "postmark": ("bounced", "bounced", "complained", "unsubscribed", "rejected", "deferred"),
    "mailgun": ("bounced", "deferred", "complained", "unsubscribed", "rejected", "deferred"),
    "amazon_ses": ("bounced", "bounced", "complained", None, "rejected", "unknown"),
    "brevo": ("bounced", "bounced", "complained", "unsubscribed", "rejected", "deferred"),
}
ANYMAIL_EVENT_TYPE: dict[tuple[str, str], str] = {
    (provider, case): event_type
    for provider, row in _EVENT_TYPES.items()
    for case, event_type in zip(CASES, row, strict=True)
    if event_type is not None
}
Meta = dict[str, str]
Payload = dict[str, Any]


@dataclass(frozen=True)
class WebhookCall:
    """Post as client.generic("POST", path, body, content_type=content_type, **headers)."""

    path: str  # e.g. "/anymail/postmark/tracking/"
    body: bytes  # exactly what the provider POSTs
    content_type: str  # e.g. "application/json"
    headers: dict[str, str]  # extra request headers as WSGI keys


def supported(provider: str, case: str) -> bool:
    """Whether the provider reports `case` at all (Amazon SES has no unsubscribe event)."""
    return (provider, case) in ANYMAIL_EVENT_TYPE


def _numeric_id(event_id: str) -> int:
    """Postmark's integer "ID" for `event_id`: the number itself, or a stable 48-bit hash."""
    if event_id.isdigit():
        return int(event_id)
    return int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:6], "big")


def anymail_event_id(provider: str, case: str, event_id: str) -> str | None:
    """The `event.event_id` anymail reports for webhook_call(provider, case, event_id=...)."""
    if provider == "postmark":
        return None if case == "unsubscribe" else str(_numeric_id(event_id))
    return event_id if provider in ("mailgun", "amazon_ses") else None  # Brevo has none


def _postmark(case: str, to: str, meta: Meta, eid: str, mid: str, now: datetime) -> Payload:
    """Postmark bounce / spam-complaint / subscription-change webhooks: anymail
    tests/test_postmark_webhooks.py (test_bounce_event, test_spam_event, test_unsubscribe) and
    https://postmarkapp.com/developer/webhooks/bounce-webhook, .../spam-complaint-webhook,
    .../subscription-change-webhook; Type/TypeCode/Name/Description from
    https://postmarkapp.com/developer/api/bounce-api#bounce-types. The hard/soft field is
    "Type" ("HardBounce" vs "SoftBounce"; "Transient" is a delay)."""
    common = {"MessageID": mid, "ServerID": 23, "MessageStream": "broadcast", "Tag": "newsletter"}
    common["Metadata"] = meta
    if case == "unsubscribe":  # recipient used Postmark's unsubscribe link
        return {
            **common,
            "RecordType": "SubscriptionChange",
            "ChangedAt": now.isoformat(),
            "Recipient": to,
            "Origin": "Recipient",
            "SuppressSending": True,
            "SuppressionReason": "ManualSuppression",
        }
    type_, code, name, description, details = {
        "hard_bounce": ("HardBounce", 1, "Hard bounce", "The server was unable to deliver your "
                        "message (ex: unknown user, mailbox not found).",
                        "smtp;550 5.1.1 The email account that you tried to reach does not exist"),
        "soft_bounce": ("SoftBounce", 4096, "Soft bounce", "Unable to temporarily deliver this "
                        "email.", "smtp;452 4.2.2 Mailbox over quota"),
        "complaint": ("SpamComplaint", 100001, "Spam complaint", "The subscriber explicitly "
                      "marked this email as spam.", "Test spam complaint details"),
        "rejected": ("Blocked", 100006, "ISP block", "Blocked from this ISP due to content or "
                     "blacklisting.", "smtp;554 5.7.1 Message rejected due to local policy"),
        "deferred": ("Transient", 2, "Message delayed", "The server could not temporarily "
                     "deliver your message (ex: Message is delayed due to network troubles).",
                     "smtp;421 4.4.2 Connection timed out"),
    }[case]  # fmt: skip
    return {
        **common,
        "RecordType": "SpamComplaint" if case == "complaint" else "Bounce",
        "ID": _numeric_id(eid),
        "Type": type_,
        "TypeCode": code,
        "Name": name,
        "Description": description,
        "Details": details,
        "Email": to,
        "From": SENDER,
        "BouncedAt": now.isoformat(),
        "DumpAvailable": True,
        "Inactive": case in ("hard_bounce", "complaint", "rejected"),
        "CanActivate": case != "complaint",
        "Subject": SUBJECT,
    }


def _mailgun(case: str, to: str, meta: Meta, eid: str, mid: str, now: datetime) -> Payload:
    """Mailgun (2018+ JSON) webhooks, tests/test_mailgun_webhooks.py in anymail
    (MailgunTestCase: test_failed_permanent_event, test_failed_temporary_event,
    test_failed_greylisted_event, test_rejected_event, test_complained_event,
    test_unsubscribed_event) and https://documentation.mailgun.com/docs/mailgun/user-manual/
    events/webhooks/. Metadata is "user-variables"; hard vs soft is "severity"
    ("permanent" vs "temporary"). A "rejected" event has no "recipient": anymail takes it from
    message.headers.to. The signature block is signed with MAILGUN_SIGNING_KEY, token = event_id
    (which anymail reports as event_id; it must be ASCII), timestamp = now."""
    headers = {"to": to, "message-id": mid.strip("<>"), "from": SENDER, "subject": SUBJECT}
    data: dict[str, Any] = {
        "id": eid,
        "timestamp": now.timestamp(),
        "log-level": "warn",
        "recipient": to,
        "recipient-domain": to.rpartition("@")[2],
        "tags": ["newsletter"],
        "campaigns": [],
        "user-variables": meta,
        "flags": {"is-routed": False, "is-authenticated": True, "is-test-mode": False},
        "message": {"headers": headers, "attachments": [], "size": 4096},
    }
    failure = {  # case: (severity, reason, code, message, retry-seconds)
        "hard_bounce": ("permanent", "bounce", 550, "5.1.1 The account does not exist", None),
        "soft_bounce": ("temporary", "generic", 452, "4.2.2 Mailbox over quota", 1800),
        "deferred": ("temporary", "greylisted", 450, "4.7.1 Greylisted, try again later", 300),
    }  # fmt: skip
    if case in failure:
        severity, reason, code, message, retry = failure[case]
        data |= {"event": "failed", "severity": severity, "reason": reason}
        data["log-level"] = "error" if severity == "permanent" else "warn"
        data["delivery-status"] = {"attempt-no": 1, "code": code, "message": message,
                                   "description": "", "mx-host": "mx.example.net"}  # fmt: skip
        if retry:
            data["delivery-status"]["retry-seconds"] = retry
    elif case == "rejected":  # Mailgun refused to send at all
        del data["recipient"], data["recipient-domain"]
        reject = {"reason": "Sandbox subdomains are for test purposes only.", "description": ""}
        data |= {"event": "rejected", "reject": reject}
    else:  # complained / unsubscribed: only the message-id header comes back
        data |= {"event": "complained" if case == "complaint" else "unsubscribed"}
        data["message"] = {"headers": {"message-id": mid.strip("<>")}}
        if case == "unsubscribe":
            data |= {"ip": "198.51.100.7", "client-info": {"client-type": "browser"}}
            data["log-level"] = "info"
    timestamp = str(int(time.time()))
    signature = hmac.new(
        MAILGUN_SIGNING_KEY.encode("ascii"), f"{timestamp}{eid}".encode("ascii"), hashlib.sha256
    ).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": eid, "signature": signature},
        "event-data": data,
    }


def _amazon_ses(case: str, to: str, meta: Meta, eid: str, mid: str, now: datetime) -> Payload:
    """The SES *event publishing* record (configuration set -> SNS topic): anymail
    tests/test_amazon_ses_webhooks.py (AmazonSESNotificationsTests: test_bounce_event,
    test_complaint_event, test_reject_event) and https://docs.aws.amazon.com/ses/latest/dg/
    event-publishing-retrieving-sns-examples.html (Bounce, Complaint, Reject, DeliveryDelay).
    anymail's amazon_ses backend sends metadata as an "X-Metadata: <json>" header, which SES
    returns in mail.headers. Hard vs soft is bounce.bounceType ("Permanent" vs "Transient").
    anymail's SES views need boto3 (django-anymail[amazon-ses]) even for a Notification, which
    they parse without any network call (they fetch only for SubscriptionConfirmation)."""
    stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event: dict[str, Any] = {
        "mail": {
            "timestamp": stamp,
            "source": SENDER,
            "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/news.example",
            "sendingAccountId": "123456789012",
            "messageId": mid,
            "destination": [to],
            "headersTruncated": False,
            "headers": [
                {"name": "From", "value": SENDER},
                {"name": "To", "value": to},
                {"name": "Subject", "value": SUBJECT},
                {"name": "X-Metadata", "value": json.dumps(meta, separators=(",", ":"))},
            ],
            "commonHeaders": {"from": [SENDER], "to": [to], "subject": SUBJECT},
            "tags": {"ses:configuration-set": ["newsletters"]},
        }
    }
    feedback, mta = f"{mid}-feedback", "a1-2.smtp-out.amazonses.com"
    if case in ("hard_bounce", "soft_bounce"):
        hard = case == "hard_bounce"
        event["eventType"] = "Bounce"
        event["bounce"] = {
            "bounceType": "Permanent" if hard else "Transient",
            "bounceSubType": "General" if hard else "MailboxFull",
            "bouncedRecipients": [{"emailAddress": to, "action": "failed",
                                   "status": "5.1.1" if hard else "5.2.2",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown" if hard
                                   else "smtp; 552 5.2.2 Mailbox full"}],
            "timestamp": stamp, "feedbackId": feedback, "reportingMTA": f"dns; {mta}",
        }  # fmt: skip
    elif case == "complaint":
        event["eventType"] = "Complaint"
        event["complaint"] = {"complainedRecipients": [{"emailAddress": to}], "timestamp": stamp,
                              "feedbackId": feedback, "userAgent": "Mail Feedback Loop (V0.01)",
                              "complaintFeedbackType": "abuse", "arrivalDate": stamp}  # fmt: skip
    elif case == "rejected":  # SES found a virus and did not send
        event |= {"eventType": "Reject", "reject": {"reason": "Bad content"}}
    else:  # deferred
        event["eventType"] = "DeliveryDelay"
        delayed = {"emailAddress": to, "status": "4.4.1", "diagnosticCode": "smtp; 421 4.4.1"}
        event["deliveryDelay"] = {"timestamp": stamp, "delayType": "TransientCommunicationFailure",
                                  "expirationTime": stamp, "reportingMTA": mta,
                                  "delayedRecipients": [delayed]}  # fmt: skip
    return event


def _brevo(case: str, to: str, meta: Meta, eid: str, mid: str, now: datetime) -> Payload:
    """Brevo transactional webhooks: anymail tests/test_brevo_webhooks.py (test_hard_bounce,
    test_soft_bounce_event, test_spam, test_blocked, test_deferred_event, test_unsubscribe) and
    https://developers.brevo.com/docs/transactional-webhooks. Metadata is the "X-Mailin-custom"
    string (the JSON header anymail sent); hard vs soft is the event name. "id" is the webhook's
    id, not an event id: Brevo has none."""
    name, reason = {
        "hard_bounce": ("hard_bounce", " RecipientError: 550 5.5.0 Requested action not taken: "
                        "mailbox unavailable."),
        "soft_bounce": ("soft_bounce", "452 4.2.2 The email account is over quota"),
        "complaint": ("spam", None),
        "unsubscribe": ("unsubscribe", None),
        "rejected": ("blocked", "blocked : due to blacklist user"),
        "deferred": ("deferred", "421 4.7.0 Try again later, closing connection."),
    }[case]  # fmt: skip
    seconds = int(now.timestamp())
    event: dict[str, Any] = {
        "event": name,
        "email": to,
        "id": 1234567,
        "date": now.strftime("%Y-%m-%d %H:%M:%S"),
        "ts": seconds,
        "message-id": mid,
        "ts_event": seconds,
        "subject": SUBJECT,
        "X-Mailin-custom": json.dumps(meta),
        "sending_ip": "185.41.28.109",
        "ts_epoch": seconds * 1000,
        "tags": ["newsletter"],
    }
    if reason is not None:
        event["reason"] = reason
    return event


_BUILDERS: dict[str, Callable[[str, str, Meta, str, str, datetime], Payload]] = {
    "postmark": _postmark,
    "mailgun": _mailgun,
    "amazon_ses": _amazon_ses,
    "brevo": _brevo,
}


def webhook_call(
    provider: str,
    case: str,
    *,
    recipient: str,
    metadata: dict[str, str],
    event_id: str,
    message_id: str = "provider-message-1",
) -> WebhookCall:
    """One tracking event for `recipient`, carrying `metadata` as the provider echoes what
    anymail attached when sending, with a provider event id derived from `event_id` where the
    provider has one (see anymail_event_id). `message_id` goes in as the provider's id; anymail
    reports it unchanged, except Mailgun's, which it reports as "<message_id>".
    Raises NotImplementedError for a case the provider doesn't report (see supported())."""
    if provider not in PROVIDERS or case not in CASES:
        raise ValueError(f"unknown provider/case {provider!r}/{case!r}")
    if not supported(provider, case):
        raise NotImplementedError(f"{provider} has no {case!r} tracking event")
    now = datetime.now(UTC)
    payload = _BUILDERS[provider](case, recipient, dict(metadata), event_id, message_id, now)
    path = f"/anymail/{provider}/tracking/"
    if provider != "amazon_ses":
        return WebhookCall(path, json.dumps(payload).encode(), "application/json", {})
    topic = "arn:aws:sns:eu-west-1:123456789012:ses-newsletter-events"
    envelope = {  # SNS HTTP(S) delivery, not raw: the SES record is the "Message" string
        "Type": "Notification",
        "MessageId": event_id,
        "TopicArn": topic,
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(payload),
        "Timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "SignatureVersion": "1",
        "Signature": "EXAMPLE-NOT-VERIFIED-BY-ANYMAIL==",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem",
        "UnsubscribeURL": f"https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&x={topic}",
    }
    headers = {  # anymail requires the first two to match the body's Type and MessageId
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification",
        "HTTP_X_AMZ_SNS_MESSAGE_ID": event_id,
        "HTTP_X_AMZ_SNS_TOPIC_ARN": topic,
        "HTTP_X_AMZ_SNS_SUBSCRIPTION_ARN": f"{topic}:0b6941c4-8f47-4b7f-9f2a-0a4c1e8f7d11",
        "HTTP_USER_AGENT": "Amazon Simple Notification Service Agent",
    }
    return WebhookCall(path, json.dumps(envelope).encode(), "text/plain; charset=UTF-8", headers)
