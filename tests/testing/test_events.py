"""The SSE parser of django_fastapi.testing: what a browser's EventSource would dispatch."""

from django_fastapi.testing import ServerSentEvent, iter_events, parse_events
from django_fastapi.testing.events import EventParser


def test_events_with_ids_names_and_multiline_data():
    text = "retry: 3000\n\nid: 1\ndata: {\"a\": 1}\n\nevent: book\nid: 2\ndata: one\ndata: two\n\n"
    assert parse_events(text) == [
        ServerSentEvent('{"a": 1}', "message", "1"),
        ServerSentEvent("one\ntwo", "book", "2"),
    ]


def test_comments_are_counted_not_dispatched():
    parser = EventParser()
    assert parser.feed(": keep-alive\n\n: keep-alive\n\n") == []
    assert parser.comments == 2


def test_chunks_split_anywhere_are_joined():
    parser = EventParser()
    events = [event for chunk in ["da", "ta: x\n", "\nid: 7\r\ndata: y\r\n\r", "\n"] for event in parser.feed(chunk)]
    assert [(event.data, event.id) for event in events] == [("x", None), ("y", "7")]


def test_event_without_an_id_keeps_the_last_one():
    assert [event.id for event in parse_events("id: 5\ndata: a\n\ndata: b\n\n")] == ["5", "5"]


def test_retry_is_read():
    parser = EventParser()
    parser.feed("retry: 1500\n\n")
    assert parser.retry == 1500


def test_iter_events_reads_lines_of_a_real_response():
    lines = iter(["id: 1", "data: 1", "", ": ping", "data: 2", ""])
    assert [event.data for event in iter_events(lines)] == ["1", "2"]


def test_json_decodes_the_data():
    assert ServerSentEvent('{"title": "Dune"}').json() == {"title": "Dune"}


def test_crlf_split_between_chunks_is_one_line_end():
    parser = EventParser()
    events = [event for chunk in ["data: a\r", "\ndata: b\r", "\n\r", "\n"] for event in parser.feed(chunk)]
    assert [event.data for event in events] == ["a\nb"]
