"""Readers edit only their own page in Wagtail admin (notes/wagtail-reader-permissions.md):
the per-reader group, the image-by-id and delete-a-draft holes, moderation before publishing."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from accounts.tests.factories import UserFactory
from readers.models import ReaderPage
from readers.tests.factories import make_image, make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def luna(reader_index):
    return make_reader(reader_index, "Luna Vale")


@pytest.fixture
def orion(reader_index):
    return make_reader(reader_index, "Orion Hart")


@pytest.fixture
def moderator():
    user = UserFactory(staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def edit_data(page, action="action-submit", **overrides):
    data = {
        "title": page.title,
        "slug": page.slug,
        "display_name": page.display_name,
        "photo": page.photo_id or "",
        "tagline": page.tagline,
        "bio": streamfield([]),
        "intro_video_url": page.intro_video_url,
        "specialties": [s.pk for s in page.specialties.all()],
        "tools": [],
        "languages": page.languages,
        "years_experience": page.years_experience,
        "offers_chat": "on",
        "offers_voice": "on",
        "offers_video": "on",
        "chat_rate_cents": page.chat_rate_cents,
        "voice_rate_cents": page.voice_rate_cents,
        "video_rate_cents": page.video_rate_cents,
        "seo_title": "",
        "search_description": "",
        "comments": inline_formset([]),
    }
    data.update(overrides)
    data = nested_form_data(data)
    data[action] = "1"
    return data


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def test_provisioning_gives_one_group_with_change_on_the_readers_page_only(luna):
    group = Group.objects.get(name="Reader: Luna Vale")
    assert luna.user.groups.filter(pk=group.pk).exists()
    page_permissions = list(group.page_permissions.values_list("page_id", "permission__codename"))
    assert page_permissions == [(luna.pk, "change_page")]
    collection_permissions = set(
        group.collection_permissions.values_list("collection__name", "permission__codename")
    )
    assert collection_permissions == {("Luna Vale", "add_image"), ("Luna Vale", "choose_image")}
    assert group.permissions.filter(codename="access_admin").exists()
    assert luna.photo.collection.name == "Luna Vale"


def test_provisioning_twice_changes_nothing(luna):
    from readers.services import provision_reader

    provision_reader(luna.user, luna)
    group = Group.objects.get(name="Reader: Luna Vale")
    assert group.page_permissions.count() == 1
    assert group.collection_permissions.count() == 2


def test_reader_can_open_their_own_page_but_not_another_readers(client, luna, orion):
    client.force_login(luna.user)
    assert client.get(edit_url(luna)).status_code == 200
    response = client.get(edit_url(orion))
    assert response.status_code == 302
    response = client.post(edit_url(orion), edit_data(orion, tagline="hacked"))
    assert response.status_code == 302
    orion.refresh_from_db()
    assert orion.tagline != "hacked"
    assert orion.get_latest_revision().content["tagline"] != "hacked"


def test_reader_edit_is_submitted_for_moderation_and_live_page_waits_for_approval(
    client, luna, moderator
):
    client.force_login(luna.user)
    edit_page = client.get(edit_url(luna)).content.decode()
    assert "Submit to Moderators approval" in edit_page
    assert 'name="action-publish"' not in edit_page

    response = client.post(edit_url(luna), edit_data(luna, tagline="New moon, new answers"))
    assert response.status_code == 302, response.content.decode()[:2000]
    luna.refresh_from_db()
    assert luna.tagline == "Luna Vale reads the cards"
    assert luna.current_workflow_state.status == "in_progress"
    assert client.get(luna.url).content.decode().count("New moon, new answers") == 0

    # A publish attempt by the reader is not honoured either.
    client.post(edit_url(luna), edit_data(luna, action="action-publish", tagline="Sneaky"))
    luna.refresh_from_db()
    assert luna.tagline == "Luna Vale reads the cards"

    task_state = luna.current_workflow_task_state
    client.force_login(moderator)
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[luna.pk, "approve", task_state.pk]),
        {"comment": ""},
    )
    assert response.status_code in (200, 302)
    luna.refresh_from_db()
    assert luna.live
    assert luna.tagline in {"New moon, new answers", "Sneaky"}


def test_reader_cannot_set_another_readers_image_by_id(client, luna, orion):
    client.force_login(luna.user)
    response = client.post(edit_url(luna), edit_data(luna, photo=orion.photo_id))
    assert response.status_code == 200
    assert "only use images from your own collection" in response.content.decode()
    luna.refresh_from_db()
    assert luna.get_latest_revision().content["photo"] == luna.photo_id


def test_reader_cannot_embed_another_readers_image_in_the_bio(client, luna, orion):
    client.force_login(luna.user)
    bio = streamfield([("image", orion.photo_id)])
    response = client.post(edit_url(luna), edit_data(luna, bio=bio))
    assert response.status_code == 200
    assert "only use images from your own collection" in response.content.decode()


def test_reader_sees_and_chooses_only_their_own_images(client, luna, orion):
    client.force_login(luna.user)
    listing = client.get(reverse("wagtailimages:index")).content.decode()
    chooser = client.get(reverse("wagtailimages_chooser:choose")).content.decode()
    for html in (listing, chooser):
        assert "Luna Vale" in html
        assert "Orion Hart" not in html


def test_reader_cannot_delete_their_page_even_as_a_draft(client, reader_index):
    draft = make_reader(reader_index, "Nova Draft")
    draft.unpublish()
    client.force_login(draft.user)
    response = client.post(reverse("wagtailadmin_pages:delete", args=[draft.pk]))
    assert response.status_code == 302
    assert Page.objects.filter(pk=draft.pk).exists()


def test_reader_cannot_change_which_account_owns_the_page(client, luna, orion):
    client.force_login(luna.user)
    client.post(edit_url(luna), edit_data(luna, user=orion.user.pk))
    luna.refresh_from_db()
    assert luna.user_id == luna.user.pk
    revision = luna.get_latest_revision()
    assert revision.content.get("user") in (None, luna.user.pk)


def test_rate_below_the_minimum_is_refused_with_a_clear_message(client, luna):
    client.force_login(luna.user)
    response = client.post(edit_url(luna), edit_data(luna, chat_rate_cents=50))
    assert response.status_code == 200
    assert "The minimum rate is 99 cents ($0.99) per minute." in response.content.decode()
    assert (
        ReaderPage.objects.get(pk=luna.pk).get_latest_revision().content["chat_rate_cents"] == 299
    )


def _jpeg_bytes(size):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (200, 100, 50)).save(buffer, "JPEG", quality=100)
    return buffer.getvalue()


def test_oversized_and_non_image_uploads_are_refused(client, luna, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 2000
    client.force_login(luna.user)
    before = get_image_model().objects.count()
    big = SimpleUploadedFile("big.jpg", _jpeg_bytes((400, 400)), content_type="image/jpeg")
    response = client.post(reverse("wagtailimages:add"), {"title": "Big", "file": big})
    assert response.status_code == 200
    assert "This file is too big" in response.content.decode()
    fake = SimpleUploadedFile("notes.jpg", b"not an image at all", content_type="image/jpeg")
    response = client.post(reverse("wagtailimages:add"), {"title": "Fake", "file": fake})
    assert response.status_code == 200
    assert get_image_model().objects.count() == before


def test_reader_upload_lands_in_their_own_collection(client, luna, orion):
    client.force_login(luna.user)
    upload = SimpleUploadedFile("me.jpg", _jpeg_bytes((20, 20)), content_type="image/jpeg")
    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "Luna again", "file": upload, "collection": orion.photo.collection_id},
    )
    assert response.status_code in (200, 302)
    image = get_image_model().objects.filter(title="Luna again").first()
    if image is not None:
        assert image.collection.name == "Luna Vale"


def test_staff_still_choose_any_image(client, luna, orion, moderator):
    editor = UserFactory(staff=True)
    editor.groups.add(Group.objects.get(name="Editors"), Group.objects.get(name="Moderators"))
    client.force_login(editor)
    response = client.post(edit_url(luna), edit_data(luna, photo=orion.photo_id))
    assert response.status_code == 302
    assert make_image("unused") is not None


def test_reader_keeps_a_photo_staff_chose_from_another_collection(client, reader_index):
    staff_photo = make_image("Studio portrait")  # root collection, not the reader's
    nova = make_reader(reader_index, "Nova Star", photo=False)
    nova.photo = staff_photo
    nova.save_revision().publish()
    client.force_login(nova.user)
    response = client.post(edit_url(nova), edit_data(nova, tagline="Fresh words"))
    assert response.status_code == 302
    assert nova.get_latest_revision().content["photo"] == staff_photo.pk
