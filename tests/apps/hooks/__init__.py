"""Middleware, exception handlers, a configure hook and routers that tests name in settings."""
