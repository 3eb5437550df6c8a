"""The Wagtail edit form for reader pages: closes the image-by-id hole from the permissions note.

A page's image fields accept any posted image id. Readers may only choose images from their own
collection, so every image the form would save (photo and images inside the bio) is checked
against the editing user's ``choose`` permission.
"""

from django.core.exceptions import ValidationError
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.images import get_image_model
from wagtail.permissions import policy_registry

IMAGE_NOT_ALLOWED = "You can only use images from your own collection. Upload the image first."


def images_in(value):
    """Every image inside a StreamField value (blocks, structs and lists, recursively)."""
    image_model = get_image_model()
    if isinstance(value, image_model):
        yield value
        return
    if hasattr(value, "raw_data") and hasattr(value, "__iter__"):  # StreamValue
        for child in value:
            yield from images_in(child.value)
    elif isinstance(value, dict):  # StructValue
        for child in value.values():
            yield from images_in(child)
    elif isinstance(value, (list, tuple)) or hasattr(value, "bound_blocks"):  # ListValue
        for child in value:
            yield from images_in(getattr(child, "value", child))


class ReaderPageForm(WagtailAdminPageForm):
    def _user_may_choose(self, image):
        user = getattr(self, "for_user", None)
        if user is None or image is None:
            return True
        policy = policy_registry.get_by_type(get_image_model())
        return policy.user_has_permission_for_instance(user, "choose", image)

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        # Keeping the photo staff chose (e.g. at onboarding) is not choosing a new one.
        unchanged = photo is not None and photo.pk == self.instance.photo_id
        if photo is not None and not unchanged and not self._user_may_choose(photo):
            raise ValidationError(IMAGE_NOT_ALLOWED)
        return photo

    def clean_bio(self):
        bio = self.cleaned_data.get("bio")
        if bio is not None:
            current = (
                {image.pk for image in images_in(self.instance.bio)} if self.instance.pk else set()
            )
            for image in images_in(bio):
                if image.pk not in current and not self._user_may_choose(image):
                    raise ValidationError(IMAGE_NOT_ALLOWED)
        return bio
