"""Idempotent demo data for the sample site: ``python manage.py load_demo_data``."""
import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.crypto import salted_hmac

from django_fastapi.tokens.models import Token, token_prefix

from .models import Author, Book

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"
DEMO_TOKEN_NAME = "demo"

AUTHORS: dict[str, str] = {
    "Ursula K. Le Guin": "American author of speculative fiction.",
    "Octavia E. Butler": "American science fiction author.",
    "Italo Calvino": "Italian journalist and writer.",
    "Jorge Luis Borges": "Argentine short-story writer, essayist and poet.",
    "Chinua Achebe": "Nigerian novelist, poet and critic.",
}

# (title, author, published, pages, in_stock)
BOOKS: list[tuple[str, str, datetime.date, int, bool]] = [
    ("A Wizard of Earthsea", "Ursula K. Le Guin", datetime.date(1968, 11, 1), 183, True),
    ("The Left Hand of Darkness", "Ursula K. Le Guin", datetime.date(1969, 3, 1), 286, True),
    ("The Dispossessed", "Ursula K. Le Guin", datetime.date(1974, 5, 1), 341, False),
    ("Kindred", "Octavia E. Butler", datetime.date(1979, 6, 1), 264, True),
    ("Parable of the Sower", "Octavia E. Butler", datetime.date(1993, 10, 1), 345, True),
    ("Invisible Cities", "Italo Calvino", datetime.date(1972, 11, 1), 165, True),
    ("If on a winter's night a traveler", "Italo Calvino", datetime.date(1979, 6, 1), 260, False),
    ("The Baron in the Trees", "Italo Calvino", datetime.date(1957, 6, 1), 217, True),
    ("Ficciones", "Jorge Luis Borges", datetime.date(1944, 1, 1), 174, True),
    ("The Aleph", "Jorge Luis Borges", datetime.date(1949, 6, 1), 146, True),
    ("Things Fall Apart", "Chinua Achebe", datetime.date(1958, 6, 17), 209, True),
    ("Arrow of God", "Chinua Achebe", datetime.date(1964, 1, 1), 230, False),
]


def demo_token() -> str:
    """The demo user's API token: the same on every run, derived from SECRET_KEY."""
    digest = salted_hmac("catalog.demo.token", DEMO_USERNAME, algorithm="sha256").hexdigest()
    return f"dfb_{digest[:10]}_{digest[10:]}"


@transaction.atomic
def load_demo_data() -> dict[str, int]:
    """Create whatever demo rows are missing and return how many of each were created.

    >>> load_demo_data()
    {'authors': 5, 'books': 12, 'users': 1, 'tokens': 1}
    >>> load_demo_data()
    {'authors': 0, 'books': 0, 'users': 0, 'tokens': 0}
    """
    created = {"authors": 0, "books": 0, "users": 0, "tokens": 0}
    authors: dict[str, Author] = {}
    for name, bio in AUTHORS.items():
        authors[name], is_new = Author.objects.get_or_create(name=name, defaults={"bio": bio})
        created["authors"] += is_new
    for title, author_name, published, pages, in_stock in BOOKS:
        _, is_new = Book.objects.get_or_create(
            title=title,
            author=authors[author_name],
            defaults={"published": published, "pages": pages, "in_stock": in_stock},
        )
        created["books"] += is_new
    User = get_user_model()
    if not User.objects.filter(username=DEMO_USERNAME).exists():
        User.objects.create_superuser(DEMO_USERNAME, "demo@example.com", DEMO_PASSWORD)
        created["users"] += 1
    if not Token.objects.filter(prefix=token_prefix(demo_token())).exists():
        demo = User.objects.get(username=DEMO_USERNAME)
        Token.objects.create_token(demo, DEMO_TOKEN_NAME, raw=demo_token())
        created["tokens"] += 1
    return created
