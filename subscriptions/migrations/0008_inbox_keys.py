# Subscribers get two keys, computed in Python so SQLite and PostgreSQL agree:
# - email_key, the address case-folded, unique (it replaces UNIQUE(LOWER(email)), which on
#   SQLite folded ASCII only and let "Öz@…" and "öz@…" be two subscribers);
# - inbox_key, the inbox the address reaches (no +tag; no dots for Gmail), for the daily cap
#   and the cooldown.
# The key functions are copied here, as they were when this migration was written.

from collections import Counter

from django.db import migrations, models

DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def address_key(email):
    return email.casefold()


def inbox_key(email):
    local, _, domain = address_key(email).rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in DOTLESS:
        local, domain = local.replace(".", ""), DOTLESS[domain]
    return f"{local}@{domain}"


def fill_keys(apps, schema_editor):
    Subscriber = apps.get_model("subscriptions", "Subscriber")
    seen = Counter()
    batch = []
    for subscriber in Subscriber.objects.order_by("pk").iterator():
        key = address_key(subscriber.email)
        seen[key] += 1
        # Only SQLite could hold two spellings of one address. The older keeps the key; the
        # later gets a distinct one, so the unique index can be built, and shows in the admin.
        subscriber.email_key = key if seen[key] == 1 else f"{key}#duplicate-{subscriber.pk}"
        subscriber.inbox_key = inbox_key(subscriber.email)
        batch.append(subscriber)
        if len(batch) == 1000:  # not one UPDATE per row: a large table takes minutes so
            Subscriber.objects.bulk_update(batch, ["email_key", "inbox_key"])
            batch = []
    Subscriber.objects.bulk_update(batch, ["email_key", "inbox_key"])


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0007_rate_counter")]

    operations = [
        migrations.CreateModel(
            name="Inbox",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=254, unique=True)),
            ],
        ),
        migrations.AddField(
            model_name="subscriber",
            name="email_key",
            field=models.CharField(max_length=254, null=True),
        ),
        migrations.AddField(
            model_name="subscriber",
            name="inbox_key",
            field=models.CharField(db_index=True, default="", max_length=254),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscriber",
            name="email_key",
            field=models.CharField(max_length=254, unique=True),
        ),
        migrations.RemoveConstraint(
            model_name="subscriber",
            name="subscriber_email_ci_unique",
        ),
    ]
