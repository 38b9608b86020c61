from fastapi import FastAPI


def configure(app: FastAPI) -> None:
    app.state.configured_by = "tests.apps.hooks.configure"

    @app.get("/configured")
    def configured():
        return {"configured": True}
