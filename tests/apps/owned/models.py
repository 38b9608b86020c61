from django.conf import settings
from django.db import models


class Memo(models.Model):
    """A row that belongs to the user who created it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memos")
    text = models.CharField(max_length=200)

    class Meta:
        ordering = ["pk"]
