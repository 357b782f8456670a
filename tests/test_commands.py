"""The shared command parser and executor: every command, hostile input, and a property test."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands import COMMANDS, MAX_ARG, MAX_LINE, Caller, Command, command_from_options, parse, run_line
from bot.context import Context
from bot.core.models import (
    BriefingAnswer,
    ContradictionsAnswer,
    HelpAnswer,
    NotFound,
    Notice,
    QuotesAnswer,
    SourcesAnswer,
    StatusAnswer,
    SubscriptionChanged,
    UsageError,
)
from bot.render.text import render_text


def test_parse_basic() -> None:
    assert parse("/status Donetsk") == Command("status", {"region": "Donetsk"})
    assert parse("status   Donetsk  Oblast") == Command("status", {"region": "Donetsk Oblast"})
    assert parse("/QUOTE Dmitry Peskov") == Command("quote", {"speaker": "Dmitry Peskov"})
    assert parse("/quotes Peskov") == Command("quote", {"speaker": "Peskov"})
    assert parse("/digest") == Command("digest", {})
    assert parse("/subscribe 08:30 Europe/Kyiv") == Command("subscribe", {"time": "08:30", "timezone": "Europe/Kyiv"})


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("", "type a command"),
        ("   ", "type a command"),
        ("/status", "needs a region"),
        ("/quote", "needs a speaker"),
        ("/stauts Donetsk", "Did you mean /status"),
        ("/frobnicate", "unknown command"),
        ("/sources extra", "takes no more than"),
        ("/subscribe 08:00 Europe/Kyiv extra", "takes no more than"),
        ("/status " + "D" * (MAX_ARG + 1), "too long"),
        ("/status " + "x" * 10_000, "at most"),
    ],
)
def test_usage_errors(line: str, fragment: str) -> None:
    answer = parse(line)
    assert isinstance(answer, UsageError) and fragment in answer.message


def test_every_command_on_the_seed(ctx: Context) -> None:
    assert isinstance(run_line(ctx, "/status Donetsk"), StatusAnswer)
    assert isinstance(run_line(ctx, "/quote Peskov"), QuotesAnswer)
    assert isinstance(run_line(ctx, "/digest"), BriefingAnswer)
    assert isinstance(run_line(ctx, "/digest 2022-12-08"), BriefingAnswer)
    assert isinstance(run_line(ctx, "/digest December 8, 2022"), BriefingAnswer)
    assert isinstance(run_line(ctx, "/contradictions"), ContradictionsAnswer)
    assert isinstance(run_line(ctx, "/contradictions Kherson"), ContradictionsAnswer)
    assert isinstance(run_line(ctx, "/sources"), SourcesAnswer)
    assert isinstance(run_line(ctx, "/help"), HelpAnswer)
    nf = run_line(ctx, "/digest 2022-12-09")
    assert isinstance(nf, NotFound) and nf.what == "date" and nf.suggestions == ("2022-12-08",)
    assert isinstance(run_line(ctx, "/digest not a date at all"), UsageError)


def test_help_lists_every_command(ctx: Context) -> None:
    text = render_text(run_line(ctx, "/help"))
    for name in COMMANDS:
        assert f"/{name}" in text


def test_subscriptions_through_commands(ctx: Context) -> None:
    caller = Caller(platform="console", channel="desk", user="me", can_manage=True)
    ok = run_line(ctx, "/subscribe 07:45 Europe/Kyiv", caller)
    assert isinstance(ok, SubscriptionChanged) and ok.subscribed and ok.local_time == "07:45"
    assert render_text(ok) == "#desk gets the daily digest at 07:45 (Europe/Kyiv)."
    listed = run_line(ctx, "/subscriptions", caller)
    assert "#desk at 07:45 Europe/Kyiv: active" in render_text(listed)
    bad_tz = run_line(ctx, "/subscribe 07:45 Mars/Olympus", caller)
    assert isinstance(bad_tz, UsageError) and "time zone" in bad_tz.message
    bad_time = run_line(ctx, "/subscribe 25:99", caller)
    assert isinstance(bad_time, UsageError) and "HH:MM" in bad_time.message
    member = Caller(platform="console", channel="desk", user="them", can_manage=False)
    refused = run_line(ctx, "/unsubscribe", member)
    assert isinstance(refused, Notice) and not refused.ok
    assert render_text(run_line(ctx, "/unsubscribe", caller)) == "Daily digest stopped in #desk."
    assert render_text(run_line(ctx, "/unsubscribe", caller)) == "#desk had no daily digest."
    assert "#desk at 07:45 Europe/Kyiv: stopped" in render_text(run_line(ctx, "/subscriptions", caller))


@pytest.mark.parametrize(
    "line",
    [
        "/quote @everyone",
        "/status @here",
        "/status <@123456789>",
        "/status Donetsk'; DROP TABLE articles; --",
        '/quote " OR 1=1 --',
        '/status Donetsk* NEAR(a b) "phrase"',
        "/status \x00\x07\x1b[31mred",
        "/status \u202edecnoD\u202c",
        "/quote \u0627\u0644\u0643\u0631\u0645\u0644\u064a\u0646",
        "/status 🇺🇦🇺🇦",
        "/status %s%s%n",
        "/quote " + "a" * 99,
    ],
)
def test_hostile_input_gets_a_short_answer(ctx: Context, line: str) -> None:
    answer = run_line(ctx, line)
    assert isinstance(answer, NotFound | UsageError)
    text = render_text(answer)
    assert len(text) < 600 and "Traceback" not in text
    assert "\x00" not in text and "\x1b" not in text and "\u202e" not in text
    assert ctx.store["articles"].count == 1  # nothing was harmed


def test_options_from_structured_front_ends() -> None:
    assert command_from_options("status", {"region": "Donetsk"}) == Command("status", {"region": "Donetsk"})
    assert isinstance(command_from_options("status", {"region": ""}), UsageError)
    assert isinstance(command_from_options("status", {"region": "x" * 500}), UsageError)
    assert isinstance(command_from_options("nope", {}), UsageError)


def test_an_unexpected_failure_is_a_short_notice(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.core import queries

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(queries, "sources", boom)
    answer = run_line(ctx, "/sources")
    assert isinstance(answer, Notice) and not answer.ok and "disk on fire" not in answer.text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=700))
def test_parse_never_raises(line: str) -> None:
    answer = parse(line)
    assert isinstance(answer, Command | UsageError)
    if isinstance(answer, Command):
        assert answer.name in COMMANDS and len(line) <= MAX_LINE
        assert all(len(v) <= MAX_ARG for v in answer.args.values())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    name=st.sampled_from(sorted(COMMANDS)),
    arg=st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(string.punctuation), max_size=120),
)
def test_execute_never_raises(ctx: Context, name: str, arg: str) -> None:
    answer = run_line(ctx, f"/{name} {arg}")
    assert render_text(answer)
