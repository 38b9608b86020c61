import datetime
import decimal
from typing import Literal

import pytest
from catalog.models import Author, Book, Tag
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import F
from django.test.utils import isolate_apps

from django_fastapi.orm.field_types import (
    choice_values,
    constraints,
    python_type,
    register_field_type,
)

PORTABLE_BIGINT = {"ge": -(2**63), "le": 2**63 - 1}


def book(name: str) -> models.Field:
    return Book._meta.get_field(name)


def test_python_type_char_field_is_str():
    assert python_type(book("title")) is str


def test_python_type_foreign_key_is_target_primary_key_type():
    assert python_type(book("author")) is int


def test_python_type_many_to_many_is_list_of_target_keys():
    assert python_type(book("tags")) == list[int]


def test_python_type_choices_are_literal_of_stored_values():
    assert python_type(book("format")) == Literal["hardcover", "paperback", "ebook"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pages", int),
        ("in_stock", bool),
        ("rating", decimal.Decimal),
        ("published", datetime.date),
        ("created_at", datetime.datetime),
        ("id", int),
    ],
)
def test_python_type_scalar_fields(name, expected):
    assert python_type(book(name)) is expected


def test_python_type_nullable_field_leaves_none_to_the_caller():
    assert python_type(book("isbn")) is str


def test_python_type_slug_field_is_str():
    assert python_type(Tag._meta.get_field("slug")) is str


def test_python_type_reverse_foreign_key_is_list_of_keys():
    assert python_type(Author._meta.get_field("books")) == list[int]


@isolate_apps("catalog")
def test_python_type_generated_field_is_its_output_type():
    class Doubled(models.Model):
        number = models.IntegerField()
        double = models.GeneratedField(
            expression=F("number") * 2, output_field=models.BigIntegerField(), db_persist=True
        )

        class Meta:
            app_label = "catalog"

    assert python_type(Doubled._meta.get_field("double")) is int


def test_constraints_required_char_field_has_max_length_and_min_length_one():
    assert constraints(book("title")) == {"max_length": 200, "min_length": 1}


def test_constraints_blank_text_field_has_no_min_length():
    assert constraints(Author._meta.get_field("bio")) == {}


def test_constraints_nullable_blank_char_field_has_only_max_length():
    assert constraints(book("isbn")) == {"max_length": 13}


def test_constraints_positive_integer_field_uses_portable_range():
    assert constraints(book("pages")) == {"ge": 0, "le": 2147483647}


def test_constraints_big_auto_field_uses_portable_range():
    assert constraints(book("id")) == PORTABLE_BIGINT


def test_constraints_decimal_field_has_validator_bounds_and_digits():
    assert constraints(book("rating")) == {"ge": 0, "le": 5, "max_digits": 3, "decimal_places": 1}


def test_constraints_choices_field_has_none():
    assert constraints(book("format")) == {}


@pytest.mark.parametrize("name", ["author", "tags"])
def test_constraints_relation_has_none(name):
    assert constraints(book(name)) == {}


def test_constraints_boolean_and_date_fields_have_none():
    assert constraints(book("in_stock")) == {}
    assert constraints(book("published")) == {}


@isolate_apps("catalog")
def test_constraints_email_field_has_email_format():
    class Contact(models.Model):
        email = models.EmailField()

        class Meta:
            app_label = "catalog"

    assert constraints(Contact._meta.get_field("email")) == {
        "max_length": 254,
        "min_length": 1,
        "json_schema_extra": {"format": "email"},
    }


@isolate_apps("catalog")
def test_constraints_explicit_validators_tighten_the_range():
    from django.core.validators import MaxValueValidator, MinValueValidator

    class Score(models.Model):
        value = models.SmallIntegerField(validators=[MinValueValidator(-5), MaxValueValidator(5)])

        class Meta:
            app_label = "catalog"

    assert constraints(Score._meta.get_field("value")) == {"ge": -5, "le": 5}


def test_choice_values_of_field_without_choices_is_empty():
    assert choice_values(book("title")) == ()


def test_choice_values_flattens_groups_and_drops_blank():
    field = models.CharField(choices=[("", "---"), ("Paper", [("a4", "A4"), ("a5", "A5")]), ("usb", "USB")])
    assert choice_values(field) == ("a4", "a5", "usb")


def test_register_field_type_maps_custom_field_and_subclasses():
    class PointField(models.Field):
        pass

    class Point3DField(PointField):
        pass

    register_field_type(PointField, tuple[float, float])

    with isolate_apps("catalog"):

        class Place(models.Model):
            spot = Point3DField()

            class Meta:
                app_label = "catalog"

        assert python_type(Place._meta.get_field("spot")) == tuple[float, float]


def test_register_field_type_refuses_a_non_field_class():
    with pytest.raises(TypeError, match="models.Field subclass"):
        register_field_type(str, str)


@isolate_apps("catalog")
def test_python_type_unmappable_field_raises_improperly_configured():
    class ColourField(models.Field):
        pass

    class Paint(models.Model):
        colour = ColourField()

        class Meta:
            app_label = "catalog"

    with pytest.raises(ImproperlyConfigured) as raised:
        python_type(Paint._meta.get_field("colour"))
    message = str(raised.value)
    assert "catalog.Paint.colour is a ColourField" in message
    assert "register_field_type(ColourField, <type>)" in message
