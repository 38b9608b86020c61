from django.contrib import admin

from .models import Author, Book


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "published", "pages", "in_stock"]
    list_filter = ["in_stock"]
    list_select_related = ["author"]
    search_fields = ["title", "author__name"]
