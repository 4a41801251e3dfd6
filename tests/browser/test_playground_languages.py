"""The playground in every language Recall ships: each member's Discord client language and the server's, the command
palette as each member's client lists it, and a quiz played through the page whose graded result is saved as
test-artifacts/quiz-result-<locale>.png (to look at what members of each language see)."""
from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.core.translation import _, catalog, language_of, speaking
from bot.playground import render
from bot.playground.server import offered_locales
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_playground_browser import DECK, play_as, send, shorten_quiz

pytest.importorskip("playwright", reason="the playwright package is not installed (test extra)")
from playwright.async_api import expect  # noqa: E402

LOCALES = list(offered_locales())
# The quiz's graded result: the reveal of the question's answer, then the scoreboard.
REVEAL_TITLE = "Question {number}/{total}: the answer"
QUESTION_TITLE = "Question {number}/{total}"
OVER_TITLE = "🏁 Quiz over: {deck}"


async def until(condition: Any, what: str) -> None:
    """Wait (up to 5 s) for the page's request to reach the playground, which runs in this event loop."""
    for _unused in range(100):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def choose_languages(page: Any, playground: Any, *, member: str, client: str, server: str | None = None) -> None:
    """Play as `member`, then pick their client language (and the server's) in the sidebar, as a person would."""
    await play_as(page, member)
    await page.locator("#client-language").select_option(client)
    await until(lambda: playground.members[member].user.locale == client, f"{member} speaks {client}")
    if server is not None:
        await page.locator("#server-language").select_option(server)
        await until(lambda: playground.guild.locale == server, f"the server speaks {server}")


def in_language(language: str, message: str, **values: Any) -> str:
    with speaking(language):
        return _(message).format(**values)


def titled(page: Any, title: str | re.Pattern[str]) -> Any:
    """The message whose embed has this title (exactly, or matching the pattern)."""
    pattern = title if isinstance(title, re.Pattern) else re.compile(f"^{re.escape(title)}$")
    return page.locator("article.message", has=page.locator(".embed-title", has_text=pattern)).last


async def play_a_quiz(page: Any, playground: Any, locale: str, language: str) -> tuple[Any, Any]:
    """As alice, run a one-question /quiz typed as her client lists it, answer it by reacting, and wait for the graded
    result: the answer's reveal and the scoreboard, in the server's `language`."""
    quiz = next(e for e in playground.catalogue(locale) if e.path == "quiz")
    labels = {o["name"]: o.get("label", o["name"]) for o in (render.option_view(o, locale) for o in quiz.options)}
    box = page.locator("#command-input")
    await box.click()
    await box.press_sequentially(f"/{quiz.label[:-1]}")  # the whole name would already ask for its options
    suggestion = page.locator("#suggestions .suggestion", has=page.locator(".name", has_text=re.compile(f"^/{re.escape(quiz.label)}$")))
    await expect(suggestion.locator(".desc")).to_contain_text(quiz.description)
    await box.fill("")
    await send(page, f"/{quiz.label} {labels['deck']}:{DECK} {labels['questions']}:1 {labels['seconds']}:5")
    # Her client names the command she used in her language too.
    await expect(page.locator(".reply-line").first).to_have_text(re.compile(f"used /{re.escape(quiz.label)}$"))

    question = titled(page, in_language(language, QUESTION_TITLE, number=1, total=1))
    await expect(question.locator('.reaction[data-emoji="🇧"]')).to_be_visible(timeout=10_000)
    await question.locator('.reaction[data-emoji="🇦"]').click()
    await expect(question.locator('.reaction[data-emoji="🇦"]')).to_have_attribute("aria-pressed", "true")

    reveal = titled(page, in_language(language, REVEAL_TITLE, number=1, total=1))
    await expect(reveal).to_be_visible(timeout=10_000)
    await expect(reveal).to_contain_text("@alice")
    over_prefix = in_language(language, OVER_TITLE, deck="\0").split("\0")[0]
    over = titled(page, re.compile(f"^{re.escape(over_prefix)}"))
    await expect(over).to_be_visible(timeout=10_000)
    await over.scroll_into_view_if_needed()
    return reveal, over


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_quiz_in_each_language(page: Any, playground: Any, monkeypatch: pytest.MonkeyPatch, locale: str) -> None:
    shorten_quiz(monkeypatch, window=4.0, pause=0.5)
    await choose_languages(page, playground, member="alice", client=locale, server=locale)
    language = language_of(locale)
    reveal, _over = await play_a_quiz(page, playground, locale, language)

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"quiz-result-{locale}.png"
    shot.unlink(missing_ok=True)
    await page.screenshot(path=str(shot))
    assert shot.exists() and shot.stat().st_size > 0
    assert page.outside_requests == []

    shown = (await reveal.locator(".embed-title").inner_text()).strip()
    english = REVEAL_TITLE.format(number=1, total=1)
    if locale == render.ENGLISH_LOCALE:
        assert shown == english
        return
    if catalog(language).gettext(REVEAL_TITLE) == REVEAL_TITLE:
        pytest.skip(f"played and saved {shot.name}, but the {language} catalog does not translate {REVEAL_TITLE!r} "
                    "yet, so its result is still in English")
    assert shown != english


async def test_each_member_keeps_their_language_and_the_page_remembers_them(page: Any, playground: Any) -> None:
    await choose_languages(page, playground, member="alice", client="de", server="fr")
    await choose_languages(page, playground, member="bob", client="ja")
    await expect(page.locator('#member-switch [data-member="alice"] .locale')).to_have_text("de")
    await expect(page.locator('#member-switch [data-member="bob"] .locale')).to_have_text("ja")
    await expect(page.locator("#client-language")).to_have_value("ja")
    await expect(page.locator("#server-language")).to_have_value("fr")

    # Switching member shows that member's language and their client's command names.
    quiz_ja = next(e for e in playground.catalogue("ja") if e.path == "quiz").label
    box = page.locator("#command-input")
    await box.click()
    await box.press_sequentially("/qui")  # the English name finds it too
    await expect(page.locator("#suggestions .suggestion .name").first).to_have_text(f"/{quiz_ja}")
    await box.fill("")
    await play_as(page, "carol")
    await expect(page.locator("#client-language")).to_have_value("en-US")
    await box.click()
    await box.press_sequentially("/qui")
    await expect(page.locator("#suggestions .suggestion .name").first).to_have_text("/quiz")
    await box.fill("")
    assert await page.evaluate("relative(-120)") == "2 minutes ago"
    await play_as(page, "alice")
    await expect(page.locator("#client-language")).to_have_value("de")
    # Discord's timestamps (<t:…:R>) are written by her client, in German.
    assert await page.evaluate("relative(-120)") == "vor 2 Minuten"

    # The playground restarts (the emulator forgets); the page puts back what each member had chosen.
    for member in playground.members.values():
        member.user.locale = "en-US"
    playground.guild.locale = "en-US"
    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    assert (playground.members["alice"].user.locale, playground.members["bob"].user.locale) == ("de", "ja")
    assert (playground.members["carol"].user.locale, playground.guild.locale) == ("en-US", "fr")
    await expect(page.locator("#client-language")).to_have_value("de")
    await expect(page.locator("#server-language")).to_have_value("fr")


async def test_the_quiz_result_follows_the_server_language(page: Any, playground: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the shipped catalogs hold yet: with the tests' pseudo-language (every message translated) as the
    server's and alice's, the graded result the page shows is not English."""
    from tests import pseudo as pseudo_language

    shorten_quiz(monkeypatch, window=4.0, pause=0.5)
    pseudo_language.register()
    try:
        locale = pseudo_language.PSEUDO_LOCALE
        playground.set_languages(playground.members["alice"].user.id, client=locale, server=locale)
        await page.reload()
        await page.wait_for_selector("body[data-ready=true]")
        await expect(page.locator("#server-language")).to_have_value(locale)
        reveal, over = await play_a_quiz(page, playground, locale, pseudo_language.PSEUDO)
        shown = (await reveal.locator(".embed-title").inner_text()).strip()
        assert shown == in_language(pseudo_language.PSEUDO, REVEAL_TITLE, number=1, total=1)
        assert shown.startswith(pseudo_language.OPEN) and shown != REVEAL_TITLE.format(number=1, total=1)
        await expect(over.locator(".embed-title")).to_contain_text(pseudo_language.OPEN)
    finally:
        pseudo_language.unregister()


async def test_the_page_says_when_an_admin_chose_the_servers_language(page: Any) -> None:
    await expect(page.locator("#chosen-language")).to_be_hidden()
    await play_as(page, "teacher")
    await send(page, "/recall-admin language language:日本語")
    await expect(page.locator("#chosen-language")).to_be_visible()
    await expect(page.locator("#chosen-language")).to_contain_text("An admin chose 日本語 with /recall-admin language")
