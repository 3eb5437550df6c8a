"""Where the shop keeps what it sells as downloads: the ``"private"`` storage of ``STORAGES``
(a folder under ``MEDIA_ROOT`` that no URL serves, or a private S3 bucket in production)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils.functional import cached_property


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on disk with no URL of their own, in ``MEDIA_ROOT/private/`` unless given a
    ``location`` (and following ``MEDIA_ROOT`` when a test changes it): a buyer reaches one
    only through the shop's download view, which checks the signed link, the order and the
    download count first."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, os.path.join(settings.MEDIA_ROOT, "private"))

    def url(self, name):
        raise ValueError("Private files have no public URL: use shop.services.download_url().")


def private_storage():
    """The storage of product downloads (a callable, so settings decide it at run time and
    migrations do not record the backend)."""
    return storages["private"]


def serves_files_itself(storage):
    """True when the download view streams the file (the disk); False when it sends the buyer
    to a presigned link of the storage (S3)."""
    return isinstance(storage, FileSystemStorage)
