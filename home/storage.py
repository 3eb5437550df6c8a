"""Files only their owners may fetch (the shop's downloads, message attachments): the
``"private"`` storage of ``STORAGES`` (a folder under ``MEDIA_ROOT`` that no URL serves, or a
private S3/R2 bucket in production). Each app serves them through its own view, after checking
who asks."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, cached_property, empty


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on disk with no URL of their own, in ``MEDIA_ROOT/private/`` unless given a
    ``location`` (and following ``MEDIA_ROOT`` when a test changes it): a buyer reaches one
    only through the shop's download view, which checks the signed link, the order and the
    download count first."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, os.path.join(settings.MEDIA_ROOT, "private"))

    def url(self, name):
        raise ValueError("Private files have no public URL: their app's view serves them.")


class _PrivateStorage(LazyObject):
    """``storages["private"]``, looked up at first use and again after ``STORAGES`` changes,
    like Django's ``default_storage``. A model field evaluates its storage callable once, when
    models are imported; through this object the backend still follows the settings (a test
    that configures S3 gets S3 on the field, not the disk storage seen at import)."""

    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _forget_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage():
    """The private storage (a callable, so migrations do not record the backend;
    settings decide it, see ``_PrivateStorage``)."""
    return _private


def serves_files_itself(storage):
    """True when the app's view streams the file (the disk); False when it sends the person
    to a presigned link of the storage (S3)."""
    return isinstance(storage, FileSystemStorage)
