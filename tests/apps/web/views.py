from django.http import HttpResponse


def home(request):
    return HttpResponse("Home, from a Django view")


def hello_from_django(request):
    return HttpResponse("Hello from Django, shadowed by the API")


def legacy(request):
    return HttpResponse("A Django view under the API prefix")
