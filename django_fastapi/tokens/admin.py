from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.http import HttpRequest

from .models import RefreshFamily, Token

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
            return ["user", "name", "expires_at", "scopes"]
        return ["prefix", "user", "name", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Token | None = None) -> list[str]:
        if obj is None:
            return []
        return ["prefix", "user", "scopes", "created_at", "last_used_at", "revoked_at"]

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


@admin.register(RefreshFamily)
class RefreshFamilyAdmin(admin.ModelAdmin):
    """Each sign-in of an app (a refresh family), per user, with its last use; revoke logs it out."""

    list_display = ["user", "name", "created_at", "last_used_at", "status"]
    list_filter = ["revoked_at", "revoke_reason", "last_used_at"]
    search_fields = ["user__username", "name", "key"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    actions = ["revoke_families"]
    fields = ["key", "user", "name", "scopes", "created_at", "last_used_at", "revoked_at", "revoke_reason"]
    readonly_fields = ["key", "user", "name", "scopes", "created_at", "last_used_at", "revoked_at", "revoke_reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a sign-in is made by signing in

    @admin.action(description="Revoke selected sign-ins (log them out)")
    def revoke_families(self, request: HttpRequest, queryset: Any) -> None:
        revoked = sum(family.revoke("admin") for family in queryset.filter(revoked_at__isnull=True))
        self.message_user(request, f"{revoked} sign-in(s) revoked.", messages.SUCCESS)
