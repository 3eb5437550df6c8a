"""Wagtail admin helpers every app's back-office shares."""

from wagtail_modeladmin.helpers import PermissionHelper


class ReadOnlyPermissionHelper(PermissionHelper):
    """List and inspect with any permission on the model (``view_*`` is enough); never write."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False

    def user_can_copy_obj(self, user, obj):
        return False
