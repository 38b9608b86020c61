from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.http import HttpRequest

from .models import Token

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups  # the stubs' type of ModelAdmin.fields


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "expires_at", "last_used_at", "status"]
    list_filter = ["created_at", "expires_at", "revoked_at"]
    search_fields = ["prefix", "name"]
    raw_id_fields = ["user"]
    actions = ["revoke_tokens"]

    def get_fields(self, request: HttpRequest, obj: Token | None = None) -> "_FieldGroups":
        if obj is None:
            return ["user", "name", "expires_at"]
        return ["prefix", "user", "name", "created_at", "expires_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Token | None = None) -> list[str]:
        if obj is None:
            return []
        return ["prefix", "user", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request: HttpRequest, obj: Token, form: Any, change: bool) -> None:
        raw = None if change else obj.set_new_token()
        super().save_model(request, obj, form, change)
        if raw is not None:
            self.message_user(
                request,
                f"The new token is {raw} — copy it now: only its digest is stored, so it cannot be shown again.",
                messages.WARNING,
            )

    @admin.action(description="Revoke selected API tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
        self.message_user(request, "The selected tokens are revoked.", messages.SUCCESS)
