"""Let Wagtail's Moderators review reader applications and hide reviews."""

from django.db import migrations

PERMISSIONS = [
    ("readerapplication", "change_readerapplication", "Can change reader application"),
    ("review", "change_review", "Can change review"),
]


def grant(apps, schema_editor):
    # Permissions are normally created after migrate (post_migrate); create the two we need now.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Moderators").first()
    if group is None:
        return
    for model, codename, name in PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label="readers", model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("readers", "0002_tool_readerpage_intro_video_url_and_more"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailcore", "0002_initial_data"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
