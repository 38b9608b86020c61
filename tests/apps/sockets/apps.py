from django.apps import AppConfig


class SocketsConfig(AppConfig):
    name = "tests.apps.sockets"
    label = "sockets"
