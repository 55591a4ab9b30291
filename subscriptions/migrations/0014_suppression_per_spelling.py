# Issue 20 item 1: a bounce suppresses the spelling that bounced, the whole inbox only where the
# provider delivers every spelling to one mailbox (Gmail) and we sent to it. Suppressions made
# before were all inbox-wide: a bounce's is narrowed to the spelling its provider event names,
# by the rule of the time (copied here). A complaint's stays inbox-wide, and so does one whose
# event retention has deleted: we no longer know the spelling, and an editor can lift it.

from django.db import migrations, models

ONE_MAILBOX_DOMAINS = {"gmail.com", "googlemail.com"}


def narrow_bounces(apps, schema_editor):
    Suppression = apps.get_model("subscriptions", "Suppression")
    Subscriber = apps.get_model("subscriptions", "Subscriber")
    bounced = Suppression.objects.filter(
        reason__in=["hard_bounce", "soft_bounces"], event__isnull=False, address_key=""
    ).select_related("event")
    for suppression in bounced.iterator():
        spelling = suppression.event.recipient.casefold()
        if "@" not in spelling:
            continue
        one_mailbox = spelling.rpartition("@")[2] in ONE_MAILBOX_DOMAINS
        if one_mailbox and Subscriber.objects.filter(email_key=spelling).exists():
            continue
        suppression.address_key = spelling
        suppression.save(update_fields=["address_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0013_outbox_refused_and_suppressed"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="suppression",
            name="one_active_suppression_per_inbox",
        ),
        migrations.AddField(
            model_name="suppression",
            name="address_key",
            field=models.CharField(
                blank=True, default="", max_length=254, verbose_name="only the spelling"
            ),
        ),
        migrations.RunPython(narrow_bounces, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="suppression",
            constraint=models.UniqueConstraint(
                condition=models.Q(("lifted_at__isnull", True)),
                fields=("inbox_key", "address_key"),
                name="one_active_suppression_per_spelling",
            ),
        ),
    ]
