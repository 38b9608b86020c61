from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Trail:
    """Records the order requests pass through; the outermost Trail reports it in ``x-trail``."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        outermost = "test_trail" not in scope
        trail = scope.setdefault("test_trail", [])
        trail.append(self.name)

        async def send_with_trail(message: Message) -> None:
            if outermost and message["type"] == "http.response.start":
                header = (b"x-trail", ",".join(trail).encode())
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_trail if outermost else send)


class PoweredBy:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                header = (b"x-powered-by", b"tests.apps.hooks")
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_header if scope["type"] == "http" else send)
