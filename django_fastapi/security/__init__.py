"""Who is calling (sources), what they may do (dependencies), CSRF, allowed hosts, throttling.

    from django_fastapi.security import CurrentUser, require_perms, throttle

The bearer tokens' models live in the ``django_fastapi.tokens`` app.
"""

from .apikey import APIKeySource
from .csrf import csrf_exempt, csrf_protect, get_csrf_token
from .dependencies import (
    ActiveUser,
    CurrentUser,
    DjangoRequest,
    OptionalUser,
    StaffUser,
    Superuser,
    acheck_object_perms,
    acheck_perms,
    active_user,
    authenticate_user,
    check_object_perms,
    check_perms,
    current_user,
    get_django_request,
    login,
    logout,
    optional_user,
    require_perms,
    staff_user,
    superuser,
)
from .hosts import HostValidationMiddleware
from .sources import Authentication, BasicSource, BearerSource, SessionSource
from .throttling import Throttle, client_ip, throttle
from .websockets import BEARER_SUBPROTOCOL

__all__ = [
    "BEARER_SUBPROTOCOL",
    "APIKeySource",
    "ActiveUser",
    "Authentication",
    "BasicSource",
    "BearerSource",
    "CurrentUser",
    "DjangoRequest",
    "HostValidationMiddleware",
    "OptionalUser",
    "SessionSource",
    "StaffUser",
    "Superuser",
    "Throttle",
    "acheck_object_perms",
    "acheck_perms",
    "active_user",
    "authenticate_user",
    "check_object_perms",
    "check_perms",
    "client_ip",
    "csrf_exempt",
    "csrf_protect",
    "current_user",
    "get_csrf_token",
    "get_django_request",
    "login",
    "logout",
    "optional_user",
    "require_perms",
    "staff_user",
    "superuser",
    "throttle",
]
