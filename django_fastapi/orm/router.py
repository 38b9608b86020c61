"""A router with list, retrieve, create, update, partial update and delete routes for one model.

    from django_fastapi.orm import FilterSet, ModelRouter, OrderingFilter, SearchFilter

    router = ModelRouter(
        Book,
        prefix="/books",
        schemas=model_schemas(Book, fields="__all__", nested={"author": AuthorRef}),
        queryset=lambda books, request, user: books.filter(in_stock=True),
        filters=FilterSet(Book, {"author": ["exact"], "pages": ["gte", "lte"]}),
        search=SearchFilter(Book, ["title", "author__name"]),
        ordering=OrderingFilter(Book, ["title", "pages"]),
    )

What DRF's ``ModelViewSet`` gives: ``GET /books`` (paginated, filtered), ``POST /books`` (201),
``GET|PUT|PATCH|DELETE /books/{pk}``. Django's model permissions are required by default
(``view_book`` to read, ``add_book``, ``change_book``, ``delete_book``). A list costs a bounded
number of queries: the read schema's relations are fetched with ``select_related`` and
``prefetch_related`` (``schemas.query_plan``). ``actions=`` switches routes off; a route
declared on the router for the same path and method replaces the generated one.

The fields are chosen deliberately, as in DRF: ``schemas=``, or ``fields=[...]``, ``exclude=[...]``
or ``fields="__all__"``. On a user model a ``password`` sent in a body is stored only hashed, by
``make_password()`` (what ``set_password()`` stores), and only when ``fields=`` names it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, cast

from asgiref.sync import sync_to_async
from django.contrib.auth import get_permission_codename
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db import router as db_router
from django.db.models.deletion import ProtectedError, RestrictedError
from django.http import Http404
from fastapi import APIRouter, Body, Depends, HTTPException, Path, Request, params, status
from pydantic import BaseModel

from ..core.signatures import dress, keyword_parameter, signature
from ..security.dependencies import check_object_perms, current_user, optional_user, require_perms
from .field_types import python_type
from .pagination import CursorPagination, PageNumberPagination
from .saving import create_instance, update_instance
from .schemas import Fields, ModelSchemas, is_user_model, model_schemas, query_plan

ACTIONS = ("list", "retrieve", "create", "update", "partial_update", "destroy")
MODEL_PERMISSIONS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}
QuerysetHook = Callable[[models.QuerySet, Request, Any], models.QuerySet]
Permission = None | str | Sequence[str] | Callable[..., Any]


class ModelRouter(APIRouter):
    def __init__(
        self,
        model: type[models.Model],
        *,
        schemas: ModelSchemas | None = None,
        fields: Fields | None = None,
        exclude: Sequence[str] = (),
        queryset: QuerysetHook | None = None,
        permissions: str | Mapping[str, Permission] | None = "model",
        object_permissions: bool = False,
        pagination: Any = "default",
        filters: Any = None,
        search: Any = None,
        ordering: Any = None,
        actions: Sequence[str] = ACTIONS,
        action_dependencies: Mapping[str, Sequence[params.Depends]] | None = None,
        lookup_field: str = "pk",
        is_async: bool = False,
        **router_options: Any,
    ) -> None:
        super().__init__(**router_options)
        unknown = [action for action in actions if action not in ACTIONS]
        if unknown:
            raise ValueError(f"Unknown ModelRouter actions {unknown!r}; the actions are {', '.join(ACTIONS)}.")
        self.model = model
        self.schemas = self._schemas(model, schemas, fields, exclude)
        self.queryset_hook = queryset
        self.object_permissions = object_permissions
        self.pagination = PageNumberPagination() if pagination == "default" else pagination
        if isinstance(self.pagination, CursorPagination):
            self.pagination.check(model)
        self.query_filters = [dependency for dependency in (filters, search, ordering) if dependency is not None]
        self.lookup_field = lookup_field
        self.is_async = is_async
        self.permissions = self._permissions(permissions)
        self.action_dependencies = {action: list(deps) for action, deps in (action_dependencies or {}).items()}
        if set(self.action_dependencies) - set(ACTIONS):
            raise ValueError(
                f"ModelRouter action_dependencies must be keyed by {', '.join(ACTIONS)}; "
                f"got {sorted(self.action_dependencies)!r}."
            )
        self._generated: dict[tuple[str, str], Any] = {}
        for action in ACTIONS:
            if action in actions:
                self._add_action(action)

    # Hooks, DRF-style: override in a subclass. Sync; async routes run them on the request's thread.

    def get_queryset(self, request: Request, user: Any) -> models.QuerySet:
        queryset = self.model._default_manager.all()
        if self.queryset_hook is not None:
            queryset = self.queryset_hook(queryset, request, user)
        return queryset

    def perform_create(self, data: Any, request: Request, user: Any) -> models.Model:
        data, values = _hashed_password(self.model, data, every_field=False)
        return create_instance(self.model, data, **values)

    def perform_update(self, instance: models.Model, data: Any, partial: bool, request: Request, user: Any) -> models.Model:
        data, values = _hashed_password(self.model, data, every_field=not partial)
        return update_instance(instance, data, partial=partial, **values)

    def perform_destroy(self, instance: models.Model, request: Request, user: Any) -> None:
        with transaction.atomic(using=db_router.db_for_write(self.model, instance=instance)):
            instance.delete()

    # Building blocks the routes share (also for routes a user adds to this router).

    def read_queryset(self, request: Request, user: Any) -> models.QuerySet:
        """The user's queryset with what the read schema needs fetched up front."""
        return self._planned(self.get_queryset(request, user))

    def get_object(self, request: Request, user: Any, lookup: Any, action: str) -> models.Model:
        try:
            instance = self.read_queryset(request, user).get(**{self.lookup_field: lookup})
        except self.model.DoesNotExist:  # type: ignore[attr-defined]  # every concrete model has it; the stubs declare it per model
            raise Http404(f"No {self.model._meta.verbose_name} matches the given query.") from None
        permission = self.permissions[action]
        if self.object_permissions and permission is not None and not callable(permission) and permission != "authenticated":
            check_object_perms(user, permission, instance)
        return instance

    def read(self, instance: models.Model) -> Any:
        return self.schemas.read.model_validate(instance)

    # Route handlers as plain sync functions; async routes run each in one hop on the request's thread.

    def _list(self, request: Request, user: Any, paging: Any, query_filters: list[Any]) -> Any:
        queryset = self.read_queryset(request, user)
        for query_filter in query_filters:
            queryset = query_filter.apply(queryset)
        if not queryset.ordered:
            queryset = queryset.order_by("pk")
        if paging is None:
            return [self.read(instance) for instance in queryset]
        return paging.paginate(queryset, self.schemas.read)

    def _retrieve(self, request: Request, user: Any, lookup: Any) -> Any:
        return self.read(self.get_object(request, user, lookup, "retrieve"))

    def _create(self, request: Request, user: Any, body: Any) -> Any:
        instance = self.perform_create(body, request, user)
        return self.read(self._reload(instance))

    def _update(self, request: Request, user: Any, lookup: Any, body: Any, partial: bool) -> Any:
        action = "partial_update" if partial else "update"
        instance = self.get_object(request, user, lookup, action)
        instance = self.perform_update(instance, body, partial, request, user)
        return self.read(self._reload(instance))

    def _destroy(self, request: Request, user: Any, lookup: Any) -> None:
        instance = self.get_object(request, user, lookup, "destroy")
        try:
            self.perform_destroy(instance, request, user)
        except (ProtectedError, RestrictedError) as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, _blocked_delete(instance, exc)) from None

    def _reload(self, instance: models.Model) -> models.Model:
        # Read back through the read plan so nested relations and many-to-many values are current.
        return self._planned(self.model._default_manager.all()).get(pk=instance.pk)

    def _planned(self, queryset: models.QuerySet) -> models.QuerySet:
        # A hand-written read schema has no plan: scope it with the queryset hook instead.
        if not hasattr(self.schemas.read, "__query_plan__"):
            return queryset
        select, prefetch = query_plan(self.schemas.read)
        if select:
            queryset = queryset.select_related(*select)
        if prefetch:
            queryset = queryset.prefetch_related(*prefetch)
        return queryset

    # Route construction.

    @staticmethod
    def _schemas(model: type[models.Model], schemas: ModelSchemas | None, fields: Fields | None,
                 exclude: Sequence[str]) -> ModelSchemas:
        if schemas is not None:
            if fields is not None or exclude:
                raise ImproperlyConfigured(
                    f"ModelRouter({model._meta.label}) got schemas= and fields=/exclude=; choose the "
                    "fields in model_schemas(...) and pass only schemas=."
                )
            return schemas
        if fields is None and not exclude:
            raise ImproperlyConfigured(
                f"ModelRouter({model._meta.label}) needs the fields to expose, as a DRF ModelSerializer: "
                "fields=[...] naming them, exclude=[...], fields='__all__' to expose every field "
                "deliberately, or schemas=model_schemas(...)."
            )
        return model_schemas(model, fields=fields, exclude=exclude)

    def _permissions(self, permissions: str | Mapping[str, Permission] | None) -> dict[str, Permission]:
        if permissions is None:
            return dict.fromkeys(ACTIONS)
        opts = self.model._meta
        defaults: dict[str, Permission] = {
            action: f"{opts.app_label}.{get_permission_codename(perm, opts)}"
            for action, perm in MODEL_PERMISSIONS.items()
        }
        if permissions == "model":
            return defaults
        if not isinstance(permissions, Mapping) or set(permissions) - set(ACTIONS):
            raise ValueError(
                f"ModelRouter permissions must be 'model', None or a dict keyed by {', '.join(ACTIONS)}; "
                f"got {permissions!r}."
            )
        return {**defaults, **permissions}

    def _permission_dependencies(self, action: str) -> list[params.Depends]:
        permission = self.permissions[action]
        if permission is None:
            return []
        if permission == "authenticated":
            return [Depends(current_user)]
        if callable(permission):
            return [Depends(permission)]
        perms = (permission,) if isinstance(permission, str) else tuple(permission)
        return [Depends(require_perms(*perms))]

    def _add_action(self, action: str) -> None:
        opts = self.model._meta
        read = self.schemas.read
        lookup_field = opts.get_field(self.lookup_field) if self.lookup_field != "pk" else opts.pk
        lookup_type = python_type(cast(models.Field, lookup_field))  # it refuses what it cannot type
        common = [
            keyword_parameter("request", Request),
            keyword_parameter("user", Any, Depends(optional_user)),
        ]
        lookup = keyword_parameter("lookup", Annotated[lookup_type, Path(alias=self.lookup_field)])
        detail = f"/{{{self.lookup_field}}}"
        not_found = {404: {"description": f"No {opts.verbose_name} matches the given query."}}
        conflict = {409: {"description": "The change conflicts with existing data."}}
        route: dict[str, Any] = {
            "name": f"{opts.model_name}_{action}",
            "dependencies": [*self._permission_dependencies(action), *self.action_dependencies.get(action, ())],
        }
        if action == "list":
            paging = [] if self.pagination is None else [keyword_parameter("paging", Any, Depends(self.pagination))]
            filters = [
                keyword_parameter(f"query_filter_{index}", Any, Depends(query_filter))
                for index, query_filter in enumerate(self.query_filters)
            ]

            def handler(request: Request, user: Any, paging: Any = None, **query_filters: Any) -> Any:
                return self._list(request, user, paging, list(query_filters.values()))

            response_model = list.__class_getitem__(read) if self.pagination is None else self.pagination.response_model(read)
            self._route("", "GET", handler, [*common, *paging, *filters], response_model=response_model,
                        summary=f"List {opts.verbose_name_plural}", **route)
        elif action == "retrieve":
            self._route(detail, "GET", self._retrieve, [*common, lookup], response_model=read,
                        summary=f"Get a {opts.verbose_name}", responses=not_found, **route)
        elif action == "create":
            body = keyword_parameter("body", Annotated[self.schemas.create, Body()])
            self._route("", "POST", self._create, [*common, body], response_model=read,
                        status_code=status.HTTP_201_CREATED, summary=f"Create a {opts.verbose_name}",
                        responses=conflict, **route)
        elif action in ("update", "partial_update"):
            partial = action == "partial_update"
            schema = self.schemas.patch if partial else self.schemas.update
            body = keyword_parameter("body", Annotated[schema, Body()])

            def update(request: Request, user: Any, lookup: Any, body: Any) -> Any:
                return self._update(request, user, lookup, body, partial)

            verb = "Change some fields of" if partial else "Replace"
            self._route(detail, "PATCH" if partial else "PUT", update, [*common, lookup, body],
                        response_model=read, summary=f"{verb} a {opts.verbose_name}",
                        responses={**not_found, **conflict}, **route)
        else:
            self._route(detail, "DELETE", self._destroy, [*common, lookup],
                        status_code=status.HTTP_204_NO_CONTENT, summary=f"Delete a {opts.verbose_name}",
                        responses={**not_found, **conflict}, **route)

    def _route(self, path: str, method: str, handler: Callable[..., Any],
               parameters: list[inspect.Parameter], **options: Any) -> None:
        endpoint = _endpoint(handler, self.is_async)
        dress(endpoint, signature(parameters), name=options["name"])
        self.add_api_route(path, endpoint, methods=[method], **options)
        self._generated[(self.prefix + path, method)] = self.routes[-1]

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # A route the user declares for a generated path and method takes its place.
        methods = {method.upper() for method in kwargs.get("methods") or ["GET"]}
        for method in methods:
            replaced = getattr(self, "_generated", {}).pop((self.prefix + path, method), None)
            if replaced is not None:
                self.routes.remove(replaced)
        super().add_api_route(path, endpoint, **kwargs)


def _endpoint(handler: Callable[..., Any], is_async: bool) -> Callable[..., Any]:
    endpoint: Callable[..., Any]
    if is_async:

        async def async_endpoint(**values: Any) -> Any:
            return await sync_to_async(handler, thread_sensitive=True)(**values)

        endpoint = async_endpoint  # renamed by ModelRouter._route()
    else:

        def sync_endpoint(**values: Any) -> Any:
            return handler(**values)

        endpoint = sync_endpoint
    return endpoint


def _hashed_password(model: type[models.Model], data: Any, *, every_field: bool) -> tuple[Any, dict[str, Any]]:
    """``data`` without a user model's raw ``password``, and the hash to store in its place."""
    if not is_user_model(model) or not isinstance(data, BaseModel) or "password" not in type(data).model_fields:
        return data, {}
    sent = data.model_dump(exclude_unset=not every_field)
    if "password" not in sent:
        return sent, {}
    raw = sent.pop("password")
    # What set_password() stores; None makes an unusable password, as set_password(None) does.
    return sent, {"password": make_password(raw)}


def _blocked_delete(instance: models.Model, exc: ProtectedError | RestrictedError) -> str:
    blockers = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    labels = sorted({str(obj._meta.verbose_name_plural) for obj in blockers})
    return (
        f"Cannot delete {instance._meta.verbose_name} {instance.pk}: {len(blockers)} related "
        f"{' and '.join(labels)} still refer to it. Delete or reassign them first."
    )
