"""What every layer above shares, over the models: a subscription's state changes (lifecycle),
the running counts, signed tokens, the lists on offer, the consent wording, what a provider's
event means, the registry of kinds of email, queueing a task by name, and other apps' hooks."""
