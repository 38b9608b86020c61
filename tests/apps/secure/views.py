"""Ordinary Django code that takes an HttpRequest, called from endpoints through the adapter."""

from django.contrib import messages


def count_visit(request):
    request.session["visits"] = request.session.get("visits", 0) + 1
    user = request.user.get_username() if request.user.is_authenticated else None
    return {"user": user, "visits": request.session["visits"]}


def leave_message(request, text):
    messages.info(request, text)


def read_messages(request):
    return [str(message) for message in messages.get_messages(request)]
