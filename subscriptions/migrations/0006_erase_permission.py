# Erasure gets its own permission. Whoever could erase before (through the delete permission)
# keeps that ability: users and groups holding delete_subscriber are given erase_subscriber.

from django.db import migrations


def carry_over(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    subscriber, _ = ContentType.objects.get_or_create(
        app_label="subscriptions", model="subscriber"
    )
    erase, _ = Permission.objects.get_or_create(
        content_type=subscriber,
        codename="erase_subscriber",
        defaults={"name": "Can erase a subscriber and all their data"},
    )
    delete = Permission.objects.filter(content_type=subscriber, codename="delete_subscriber")
    for user in apps.get_model("auth", "User").objects.filter(user_permissions__in=delete):
        user.user_permissions.add(erase)
    for group in apps.get_model("auth", "Group").objects.filter(permissions__in=delete):
        group.permissions.add(erase)


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0005_tally"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="subscriber",
            options={
                "ordering": ["-created_at"],
                "permissions": [("erase_subscriber", "Can erase a subscriber and all their data")],
                "verbose_name": "subscriber",
                "verbose_name_plural": "subscribers",
            },
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
    ]
