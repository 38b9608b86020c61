"""API tokens for bearer authentication: add ``"django_fastapi.tokens"`` to ``INSTALLED_APPS``.

Tokens are stored as SHA-256 digests (the token is shown once, when it is created), with a public
prefix to tell them apart, an optional expiry and the time each was last used. Manage them in the
admin or with ``manage.py fastapi_token create|list|revoke``. A token's ``scopes`` limit it to some
of its user's permissions (``scopes.py``).

Access/refresh token pairs for apps a user signs in to (the ``jwt`` extra): ``pairs.py`` issues,
rotates and revokes them (refresh families, stored hashed, reuse detected), ``access.py`` signs and
verifies the access tokens (JWTs), ``denylist.py`` ends a revoked family's access tokens at once.
"""
