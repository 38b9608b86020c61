"""Deliberately invalid: discovery must report the file and line of this syntax error."""

from fastapi import APIRouter

router = APIRouter(


def unreachable():
    pass
