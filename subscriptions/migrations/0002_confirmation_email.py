"""The outbox row is named for what editors see: a confirmation email. Its lease fields now come
from the abstract OutboxItem, which every kind of queued email shares; the data stays as is."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0001_initial"),
    ]

    operations = [
        migrations.RenameModel(old_name="ConfirmationRequest", new_name="ConfirmationEmail"),
        migrations.AlterField(
            model_name="confirmationemail",
            name="subscriber",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="confirmation_emails",
                to="subscriptions.subscriber",
            ),
        ),
        migrations.AlterField(
            model_name="confirmationemail",
            name="subscriptions",
            field=models.ManyToManyField(
                related_name="confirmation_emails", to="subscriptions.subscription"
            ),
        ),
        migrations.AlterField(
            model_name="confirmationemail",
            name="state",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("skipped", "Nothing left to send"),
                ],
                default="queued",
                max_length=10,
                verbose_name="state",
            ),
        ),
        migrations.RenameIndex(
            model_name="confirmationemail",
            new_name="confirmationemail_queued",
            old_name="outbox_queued_idx",
        ),
    ]
