"""API tokens for bearer authentication: add ``"django_fastapi.tokens"`` to ``INSTALLED_APPS``.

Tokens are stored as SHA-256 digests (the token is shown once, when it is created), with a public
prefix to tell them apart, an optional expiry and the time each was last used. Manage them in the
admin or with ``manage.py fastapi_token create|list|revoke``.
"""
