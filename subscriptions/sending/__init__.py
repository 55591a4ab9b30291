"""Composing and queueing email: the outbox's lease and claim for every kind, the messages
(confirmation, welcome, data export), list mail (headers, sender, unsubscribe links) and its
plain-text part. The worker's sender (delivery.py) and the flows use it; it calls no flow."""
