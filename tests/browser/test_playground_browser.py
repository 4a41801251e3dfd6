"""The playground in real headless Chromium: typed commands, buttons, reactions, modals, member switch.

The demo cog makes the page's own behaviour testable whatever cogs exist; the last three tests play Recall's
real /study, /quiz and /explain through the page, as a newcomer would.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.demo_cog import add_demo

pytest.importorskip("playwright", reason="the playwright package is not installed (test extra)")
from playwright.async_api import expect  # noqa: E402

DECK = "pytorch-lr-schedulers"


async def send(page: Any, text: str) -> None:
    """Type a command line into the message box and press Enter, as a person would."""
    box = page.locator("#command-input")
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")


async def play_as(page: Any, name: str) -> None:
    await page.locator(f'#member-switch [data-member="{name}"]').click()
    await expect(page.locator(f'#member-switch [data-member="{name}"]')).to_have_attribute("aria-checked", "true")


def message_with(page: Any, text: str) -> Any:
    return page.locator("article.message", has_text=text).last


async def test_demo_command_buttons_reactions_private_replies_and_forms(page: Any, playground: Any) -> None:
    await add_demo(playground.bot)
    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    box = page.locator("#command-input")

    # "/dem" offers /demo; Tab takes it; "text:ap" asks the bot's autocomplete; ArrowDown + Enter picks the 2nd.
    await box.click()
    await box.press_sequentially("/dem")
    await expect(page.locator("#suggestions .suggestion .name").first).to_have_text("/demo")
    await box.press("Tab")
    await expect(box).to_have_value("/demo ")
    await expect(page.locator("#suggestions")).to_contain_text("text *")
    await box.press_sequentially("text:ap")
    await expect(page.locator("#suggestions .suggestion .name")).to_have_text(["apple (alice)", "apricot (alice)"])
    await box.press("ArrowDown")
    await box.press("Enter")
    await expect(box).to_have_value("/demo text:apricot ")
    await box.press_sequentially("count:2")
    await expect(page.locator("#option-chips .chip.filled")).to_have_count(2)
    await box.press("Enter")

    first = message_with(page, "apricot apricot")
    await expect(first.locator(".embed-title")).to_have_text("Demo")
    reply = page.locator(f'article.message[data-id="{await first.get_attribute("data-id")}"]')
    await expect(reply.locator(".reply-line")).to_have_text("↱ Alice used /demo")
    await expect(reply.locator(".reaction[data-emoji]")).to_have_count(2)

    await reply.get_by_role("button", name="Again").click()
    await expect(reply.locator(".embed-description")).to_have_text("pressed by alice")
    await expect(reply.locator(".edited")).to_be_visible()
    await expect(reply.get_by_role("button", name="Gone")).to_be_disabled()

    await reply.locator('select[data-custom-id="demo:pick"]').select_option("banana")
    await expect(reply.locator(".embed-description")).to_have_text("alice picked banana")

    letter_a = reply.locator('.reaction[data-emoji="🇦"]')
    await letter_a.click()
    await expect(letter_a).to_have_attribute("aria-pressed", "true")
    await expect(letter_a.locator(".count")).to_have_text("2")

    page.once("dialog", lambda dialog: dialog.accept("👍"))
    await reply.get_by_role("button", name="Add a reaction").click()
    thumbs = reply.locator('.reaction[data-emoji="👍"]')
    await expect(thumbs).to_have_attribute("aria-pressed", "true")
    await expect(thumbs.locator(".count")).to_have_text("1")

    await play_as(page, "bob")
    await expect(letter_a).to_have_attribute("aria-pressed", "false")
    await expect(letter_a.locator(".count")).to_have_text("2")
    await reply.get_by_role("button", name="Private").click()
    secret = message_with(page, "a secret for bob")
    await expect(secret.locator(".ephemeral-note")).to_contain_text("Only you can see this")

    await play_as(page, "alice")
    await expect(page.locator("article.message", has_text="a secret for bob")).to_have_count(0)
    await reply.get_by_role("button", name="Form").click()
    dialog = page.locator("dialog#modal")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("#modal-title")).to_have_text("Say something")
    await dialog.get_by_label("Your words").fill("hello from the browser")
    await dialog.get_by_role("button", name="Submit").click()
    await expect(dialog).to_be_hidden()
    await expect(message_with(page, "alice said: hello from the browser")).to_be_visible()

    assert page.outside_requests == []


async def test_file_option_uploads_and_picture_attachments_show(page: Any, playground: Any, tmp_path: Any) -> None:
    await add_demo(playground.bot)
    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    (tmp_path / "notes.txt").write_text("from disk", encoding="utf-8")
    await page.locator("#command-input").fill("/demo-file")
    await page.locator('#file-inputs input[data-option="file"]').set_input_files(str(tmp_path / "notes.txt"))
    await page.locator("#command-input").press("Enter")
    reply = message_with(page, "got notes.txt: from disk")
    # chart.png is named by the embed, so it shows inside it (and only there); loose.png below the message.
    await expect(reply.locator(".embed-image img")).to_have_js_property("naturalWidth", 6)  # really loaded
    loose = reply.locator("img.attachment-image")
    await expect(loose).to_have_count(1)
    await expect(loose).to_have_attribute("alt", "loose.png")
    await expect(loose).to_have_js_property("naturalWidth", 6)
    assert page.outside_requests == []


async def test_mistakes_are_explained_on_the_page(page: Any, playground: Any) -> None:
    await add_demo(playground.bot)
    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    box = page.locator("#command-input")
    await box.fill("/demo text:hi count:7")
    await box.press("Enter")
    await expect(page.locator(".toast")).to_contain_text("between 1 and 3")
    await expect(box).to_have_value("/demo text:hi count:7")  # kept, so it can be corrected
    await box.fill("/nosuch")
    await box.press("Enter")
    await expect(page.locator(".toast").last).to_contain_text("There is no command /nosuch")


async def test_deck_problems_are_shown(browser: Any, tmp_path: Any, decks_dir: Any) -> None:
    from bot.playground import Playground

    (decks_dir / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    playground = Playground(decks_dir=decks_dir, db_path=tmp_path / "pg.db", port=0)
    await playground.start()
    try:
        tab = await browser.new_page()
        await tab.goto(playground.url)
        await expect(tab.locator("#problems")).to_be_visible()
        await expect(tab.locator("#problem-list li").first).to_contain_text("broken.yaml")
        await tab.close()
    finally:
        await playground.stop()


# --- Recall's own commands ------------------------------------------------------------------------------------


async def test_study_reveal_good_shows_the_next_card(page: Any) -> None:
    await send(page, f"/study deck:{DECK}")
    first = page.locator("article.message", has=page.get_by_role("button", name="Reveal")).last
    await expect(first).to_be_visible()
    front = await first.locator(".embed-description").inner_text()
    await first.get_by_role("button", name="Reveal").click()
    good = page.get_by_role("button", name=re.compile(r"^Good"))
    await expect(good.last).to_be_enabled()
    await good.last.click()
    # The next card: a Reveal button again, on a different front.
    next_card = page.locator("article.message", has=page.get_by_role("button", name="Reveal")).last
    await expect(next_card).to_be_visible()
    await expect(next_card.locator(".embed-description")).not_to_have_text(front)
    assert page.outside_requests == []


def shorten_quiz(monkeypatch: pytest.MonkeyPatch, *, window: float, pause: float) -> None:
    """/quiz's shortest public window is 5 s: make it last `window` real seconds, with `pause` between steps."""
    import bot.core.quiz as quiz_core

    pacing = getattr(quiz_core, "PACING", None)
    if pacing is None:
        import bot.cogs.quiz as pacing  # the cog's module attributes, before PACING existed
        monkeypatch.setattr(pacing, "TIME_SCALE", window / 5)
        monkeypatch.setattr(pacing, "REVEAL_PAUSE", pause * 5 / window)
        return
    monkeypatch.setattr(pacing, "time_scale", window / 5)
    monkeypatch.setattr(pacing, "reveal_pause", pause * 5 / window)


async def test_two_members_play_a_quiz_by_clicking_reactions(page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    shorten_quiz(monkeypatch, window=4.0, pause=0.5)
    await send(page, f"/quiz deck:{DECK} questions:1 seconds:5")
    question = message_with(page, "Question 1/1")
    await expect(question.locator('.reaction[data-emoji="🇧"]')).to_be_visible(timeout=10_000)
    await question.locator('.reaction[data-emoji="🇦"]').click()
    await play_as(page, "bob")
    await question.locator('.reaction[data-emoji="🇧"]').click()
    reveal = message_with(page, "the answer")
    await expect(reveal).to_be_visible(timeout=10_000)
    await expect(reveal).to_contain_text("@alice")
    await expect(reveal).to_contain_text("@bob")
    await expect(message_with(page, "Quiz over")).to_be_visible(timeout=10_000)
    assert page.outside_requests == []


async def test_explain_answer_through_the_modal(page: Any) -> None:
    await send(page, f"/explain deck:{DECK}")
    prompt = page.locator("article.message", has=page.get_by_role("button", name="Answer")).last
    await expect(prompt).to_be_visible()
    await prompt.get_by_role("button", name="Answer").click()
    dialog = page.locator("dialog#modal")
    await expect(dialog).to_be_visible()
    await dialog.locator("textarea").fill(
        "A scheduler changes the learning rate during training, for example it decays the rate every few epochs."
    )
    await dialog.get_by_role("button", name="Submit").click()
    await expect(dialog).to_be_hidden()
    await expect(message_with(page, "concepts").locator(".embed-title")).to_have_text(re.compile(r"You got \d+/\d+ concepts"))
    assert page.outside_requests == []
