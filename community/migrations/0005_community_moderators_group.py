"""A Wagtail group for community moderators: admin access, the moderation queue and held
messages, and nothing else (no pages, images, documents or settings)."""

from django.db import migrations

GROUP = "Community moderators"
PERMISSIONS = [
    ("wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"),
    ("community", "report", "view_report", "Can view report"),
    ("community", "report", "change_report", "Can change report"),
    ("readings", "message", "view_message", "Can view message"),
    ("readings", "message", "change_message", "Can change message"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after migrate (post_migrate); create the ones needed now.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, model, codename, name in PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0004_reports"),
        ("readings", "0007_messages"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
        # After the migrations that give every admin group the choose permissions for images
        # and documents: this group gets neither.
        ("wagtaildocs", "0011_add_choose_permissions"),
        ("wagtailimages", "0023_add_choose_permissions"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
