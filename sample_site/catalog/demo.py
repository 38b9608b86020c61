"""Idempotent demo data for the sample site: ``python manage.py load_demo_data``."""
import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.crypto import salted_hmac

from django_fastapi.tokens.models import Token, token_prefix

from .models import Author, Book, Tag

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

TAGS: dict[str, str] = {
    "fantasy": "Fantasy",
    "science-fiction": "Science fiction",
    "short-stories": "Short stories",
    "classic": "Classic",
}

# (title, author, published, pages, in_stock, format, tag slugs)
BOOKS: list[tuple[str, str, datetime.date, int, bool, str, tuple[str, ...]]] = [
    ("A Wizard of Earthsea", "Ursula K. Le Guin", datetime.date(1968, 11, 1), 183, True, "paperback", ("fantasy",)),
    ("The Left Hand of Darkness", "Ursula K. Le Guin", datetime.date(1969, 3, 1), 286, True, "hardcover", ("science-fiction", "classic")),
    ("The Dispossessed", "Ursula K. Le Guin", datetime.date(1974, 5, 1), 341, False, "paperback", ("science-fiction",)),
    ("Kindred", "Octavia E. Butler", datetime.date(1979, 6, 1), 264, True, "ebook", ("science-fiction",)),
    ("Parable of the Sower", "Octavia E. Butler", datetime.date(1993, 10, 1), 345, True, "paperback", ("science-fiction",)),
    ("Invisible Cities", "Italo Calvino", datetime.date(1972, 11, 1), 165, True, "hardcover", ("classic",)),
    ("If on a winter's night a traveler", "Italo Calvino", datetime.date(1979, 6, 1), 260, False, "paperback", ("classic",)),
    ("The Baron in the Trees", "Italo Calvino", datetime.date(1957, 6, 1), 217, True, "ebook", ("fantasy", "classic")),
    ("Ficciones", "Jorge Luis Borges", datetime.date(1944, 1, 1), 174, True, "paperback", ("short-stories", "fantasy")),
    ("The Aleph", "Jorge Luis Borges", datetime.date(1949, 6, 1), 146, True, "hardcover", ("short-stories",)),
    ("Things Fall Apart", "Chinua Achebe", datetime.date(1958, 6, 17), 209, True, "paperback", ("classic",)),
    ("Arrow of God", "Chinua Achebe", datetime.date(1964, 1, 1), 230, False, "ebook", ()),
]


def demo_token() -> str:
    """The demo user's API token: the same on every run, derived from SECRET_KEY."""
    digest = salted_hmac("catalog.demo.token", DEMO_USERNAME, algorithm="sha256").hexdigest()
    return f"dfb_{digest[:10]}_{digest[10:]}"


@transaction.atomic
def load_demo_data() -> dict[str, int]:
    """Create whatever demo rows are missing and return how many of each were created.

    >>> load_demo_data()
    {'authors': 5, 'tags': 4, 'books': 12, 'users': 1, 'tokens': 1}
    >>> load_demo_data()
    {'authors': 0, 'tags': 0, 'books': 0, 'users': 0, 'tokens': 0}
    """
    created = {"authors": 0, "tags": 0, "books": 0, "users": 0, "tokens": 0}
    authors: dict[str, Author] = {}
    for name, bio in AUTHORS.items():
        authors[name], is_new = Author.objects.get_or_create(name=name, defaults={"bio": bio})
        created["authors"] += is_new
    tags: dict[str, Tag] = {}
    for slug, name in TAGS.items():
        tags[slug], is_new = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
        created["tags"] += is_new
    for title, author_name, published, pages, in_stock, book_format, tag_slugs in BOOKS:
        book, is_new = Book.objects.get_or_create(
            title=title,
            author=authors[author_name],
            defaults={"published": published, "pages": pages, "in_stock": in_stock, "format": book_format},
        )
        if is_new:
            book.tags.set([tags[slug] for slug in tag_slugs])
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


@transaction.atomic
def add_bulk_books(count: int) -> int:
    """Add up to ``count`` generated books (two tags each) for benchmarks; returns how many were added."""
    authors = list(Author.objects.order_by("pk"))
    tags = list(Tag.objects.order_by("pk"))
    existing = set(Book.objects.filter(title__startswith="Volume ").values_list("title", flat=True))
    books = [
        Book(
            title=f"Volume {number}",
            author=authors[number % len(authors)],
            published=datetime.date(1950 + number % 70, 1 + number % 12, 1),
            pages=100 + number % 400,
            in_stock=number % 3 != 0,
            format=Book.Format.values[number % len(Book.Format.values)],
        )
        for number in range(1, count + 1)
        if f"Volume {number}" not in existing
    ]
    Book.objects.bulk_create(books)
    Through = Book.tags.through
    Through.objects.bulk_create(
        Through(book_id=book.pk, tag_id=tags[(index + offset) % len(tags)].pk)
        for index, book in enumerate(books)
        for offset in (0, 1)
    )
    return len(books)
