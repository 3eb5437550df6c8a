import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from home.models import HomePage
from readers.models import ReaderIndexPage


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    settings.RATELIMIT_CACHE_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"
    settings.SITE_URL = "https://soulseer.example"


def _permission(app_label, codename):
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def ensure_wagtail_defaults(root, collection):
    """Wagtail's Editors/Moderators groups and "Moderators approval" workflow, as its migrations
    create them. A transactional test flushes them from the reused test database."""
    image_perms = [
        _permission("wagtailimages", c) for c in ("add_image", "change_image", "choose_image")
    ]
    page_perms = {
        "Moderators": ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
        "Editors": ("add_page", "change_page", "lock_page", "unlock_page"),
    }
    for name, codenames in page_perms.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(_permission("wagtailadmin", "access_admin"))
        for codename in codenames:
            GroupPagePermission.objects.get_or_create(
                group=group, page=root, permission=_permission("wagtailcore", codename)
            )
        for permission in image_perms:
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=collection, permission=permission
            )
    moderators = Group.objects.get(name="Moderators")
    moderators.permissions.add(
        _permission("readers", "change_readerapplication"), _permission("readers", "change_review")
    )
    if not WorkflowPage.objects.filter(page=root).exists():
        workflow, _ = Workflow.objects.get_or_create(name="Moderators approval")
        task = GroupApprovalTask.objects.filter(name="Moderators approval").first()
        if task is None:
            task = GroupApprovalTask.objects.create(name="Moderators approval")
            task.groups.set([moderators])
        WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
        WorkflowPage.objects.create(page=root, workflow=workflow)


@pytest.fixture
def home(db):
    # A transactional test elsewhere can flush the reused test database (see home tests).
    Locale.objects.get_or_create(language_code="en")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    ensure_wagtail_defaults(root, Collection.get_first_root_node())
    page = root.add_child(instance=HomePage(title="Home", slug="home-test", hero_title="Clarity"))
    Site.objects.all().delete()
    Site.objects.create(hostname="testserver", port=80, root_page=page, is_default_site=True)
    return page


@pytest.fixture
def reader_index(home):
    index = home.add_child(instance=ReaderIndexPage(title="Our readers", slug="readers"))
    index.save_revision().publish()
    return index
