from django.contrib.auth.backends import BaseBackend


class NoteOwnerBackend(BaseBackend):
    """Object permissions, django-guardian style: a user may change the notes titled after them."""

    def has_perm(self, user_obj, perm, obj=None):
        return (
            obj is not None
            and user_obj.is_active
            and perm == "notes.change_note"
            and getattr(obj, "title", None) == f"owned by {user_obj.get_username()}"
        )
