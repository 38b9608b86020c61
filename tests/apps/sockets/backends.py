import threading

from django.contrib.auth.backends import ModelBackend

# (method, thread name) of each call, for the tests to see where Django's sync auth work ran.
calls: list[tuple[str, str]] = []


class ThreadRecordingBackend(ModelBackend):
    def get_user(self, user_id):
        calls.append(("get_user", threading.current_thread().name))
        return super().get_user(user_id)

    def has_perm(self, user_obj, perm, obj=None):
        calls.append(("has_perm", threading.current_thread().name))
        return super().has_perm(user_obj, perm, obj)
