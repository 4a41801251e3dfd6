"""Hostile uploads: every pattern and parser an import runs over uploaded text must take time linear in its size.

Python's `re` holds the GIL, so one crafted upload that makes a pattern backtrack would stall every server's /study.
Each case builds its file here, at the default upload limit, and runs it in a child process that is killed after
BOUND seconds: linear code needs a fraction of that, the super-linear code it guards against took minutes to hours
at this size. That proves "it did not hang" without being a timing benchmark.

The differential tests pin the rewritten patterns to the ones they replaced on small inputs, so the rewrite changed
their cost and nothing else.
"""
from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.importers.anki import looks_html
from bot.core.importers.common import (
    html_to_markdown,
    plain_text,
)
from bot.core.importers.detect import _YAML_QUESTION
from bot.core.importers.red import image_and_text
from tests.core.test_importers import BASIC, CLOZE, make_apkg

REPO = Path(__file__).resolve().parents[2]
SIZE = 2 * 1024 * 1024  # MAX_UPLOAD_BYTES' default: the largest file an upload may send
BOUND = 10.0  # seconds before the child counts as hung; generous for a shared, loaded machine

# Runs one function on the file given and says how it ended; ImportFailed is a clean refusal, anything else a bug.
CHILD = r"""
import importlib, pathlib, sys
from bot.core.importers import ImportFailed
target, kind, path = sys.argv[1:4]
module, name = target.split(":")
fn = getattr(importlib.import_module(module), name)
data = pathlib.Path(path).read_bytes()
try:
    fn(data, pathlib.Path(path).name) if kind == "file" else fn(data.decode())
except ImportFailed as exc:
    print("ImportFailed:", exc.message)
else:
    print("returned")
"""


def repeat(unit: str, size: int = SIZE) -> str:
    return unit * (size // len(unit))


def finishes(tmp_path: Path, target: str, data: bytes, name: str = "upload.txt", kind: str = "file") -> str:
    """Run `target` ("module:function") on `data` in a child process; fail the test if it is still running after
    BOUND seconds or ends with anything but a result or ImportFailed."""
    path = tmp_path / name
    path.write_bytes(data)
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, target, kind, str(path)], cwd=REPO, check=False,
                              capture_output=True, text=True, timeout=BOUND)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{target} on {name} ({len(data):,} bytes) was still running after {BOUND} s")
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout.strip()
    assert out == "returned" or out.startswith("ImportFailed:"), out
    return out


# --- Each pattern on its worst input -------------------------------------------------------------------------------

TEXT_CASES = {
    # {{c1:: again and again, never closed: the old cloze pattern was cubic.
    "cloze-open": ("bot.core.importers.anki_template:cloze_numbers", repeat("{{c1::")),
    "cloze-hint": ("bot.core.importers.anki_template:cloze_numbers", repeat("{{c1::a::")),
    # [sound: never closed: each start scanned to the end of the text.
    "sound-plain": ("bot.core.importers.common:plain_text", repeat("[sound:")),
    "sound-html": ("bot.core.importers.common:html_to_markdown", repeat("[sound:")),
    # https:// glued together without an image extension: each start scanned the whole word again.
    "image-link": ("bot.core.importers.red:image_and_text", repeat("https://")),
    "image-link-ext": ("bot.core.importers.red:image_and_text", repeat("https://a.png.")),
    # Anki HTML whose tags, comments and declarations never close: HTMLParser rescanned to the end for each.
    "html-open-tags": ("bot.core.importers.common:html_to_markdown", repeat("<b")),
    "html-comments": ("bot.core.importers.common:html_to_markdown", repeat("<!--x>")),
    "html-end-tags": ("bot.core.importers.common:html_to_markdown", repeat("</")),
    "html-pi": ("bot.core.importers.common:html_to_markdown", repeat("<?")),
    "html-declarations": ("bot.core.importers.common:html_to_markdown", repeat("<!")),
    "html-marked-sections": ("bot.core.importers.common:html_to_markdown", repeat("<![")),
    "html-quotes": ("bot.core.importers.common:html_to_markdown", repeat("<a x='")),
    "html-nested": ("bot.core.importers.common:html_to_markdown", repeat("<div><b><i>")),
    "html-attributes": ("bot.core.importers.common:html_to_markdown", "<a " + repeat("x=1 ") + ">"),
    "html-links": ("bot.core.importers.common:html_to_markdown", repeat("<a href='https://x.org'>a")),
}


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_pattern_is_linear_on_its_worst_input(tmp_path: Path, case: str) -> None:
    target, text = TEXT_CASES[case]
    finishes(tmp_path, target, text.encode(), kind="text")


def test_yaml_question_detection_on_a_long_blank_run(tmp_path: Path) -> None:
    # `\s*\n\s*` over a long run of blank lines that never reaches the `-`: quadratic before.
    data = b"question:" + b"\n" * SIZE + b"x"
    assert finishes(tmp_path, "bot.core.importers.detect:detect_format", data, "list.txt").startswith("ImportFailed")


def test_html_sniffing_of_an_anki_text_export(tmp_path: Path) -> None:
    # No #html header, so the body is searched for a tag; "<a " that never closes made that search quadratic.
    data = ("#separator:tab\n" + repeat("<a ", SIZE - 100) + "\tback\n").encode()
    finishes(tmp_path, "bot.core.importers:import_file", data, "notes.txt")


# --- Whole imports of hostile files, every format ------------------------------------------------------------------

HOSTILE_FIELDS = [repeat(unit, SIZE // 8) for unit in ("{{c1::", "<b", "[sound:", "<!--x>", "<![", "https://")]


@pytest.mark.parametrize("form", ["anki2", "anki21", "anki21b"])
def test_anki_package_with_hostile_fields(tmp_path: Path, form: str) -> None:
    notes = [(f"g-cloze-{i}", CLOZE, [field, field], "") for i, field in enumerate(HOSTILE_FIELDS)]
    notes += [(f"g-basic-{i}", BASIC, [field, "back"], "") for i, field in enumerate(HOSTILE_FIELDS)]
    notes.append(("g-fine", BASIC, ["What is 2+2?", "4"], ""))
    name = "hostile.colpkg" if form == "anki21b" else "hostile.apkg"
    assert finishes(tmp_path, "bot.core.importers:import_file", make_apkg(form, notes), name) == "returned"


def test_anki_text_export_with_hostile_fields(tmp_path: Path) -> None:
    # Python's csv reader refuses fields over 128 KB, so the export's fields are smaller than the package's.
    rows = "".join(f"{field[:100_000]}\tback\n" for field in HOSTILE_FIELDS)
    data = ("#separator:tab\n#html:true\n" + rows + "What is 2+2?\t4\n").encode()
    assert finishes(tmp_path, "bot.core.importers:import_file", data, "notes.txt") == "returned"


def test_red_list_with_hostile_questions(tmp_path: Path) -> None:
    # Long image-link words, and many long questions for the related-answer ranking to compare.
    keys = [repeat("https://", SIZE // 4), repeat("https://a.png.", SIZE // 4)]
    keys += [f"{i} " + repeat("why is the sky blue ", 3_900) for i in range(SIZE // 2 // 4_000)]
    data = ("".join(f"? {key}\n: [answer]\n" for key in keys) + "What is 2+2?: [4]\n").encode()
    assert finishes(tmp_path, "bot.core.importers:import_file", data, "trivia.yaml") == "returned"


def test_unrecognised_text_is_refused_quickly(tmp_path: Path) -> None:
    data = (repeat("key:\n  \n", SIZE // 2) + "x").encode()
    assert finishes(tmp_path, "bot.core.importers:import_file", data, "mystery.txt").startswith("ImportFailed")


@pytest.mark.parametrize(("name", "text"), [
    ("deck.yaml", "title: Hostile\ncards:\n  - front: '" + repeat("{{c1::[sound:<b", SIZE - 100) + "'\n    back: x\n"),
    ("bio.txt", "term\t" + repeat("[sound:{{c1::<b", SIZE - 100) + "\nWhat is 2+2?\t4\n"),
    ("maths.csv", "front,back\n\"" + repeat("[sound:{{c1::<b", SIZE - 100) + "\nWhat,4\n"),
])
def test_other_formats_with_hostile_text(tmp_path: Path, name: str, text: str) -> None:
    finishes(tmp_path, "bot.core.importers:import_file", text.encode(), name)


# --- The rewrites match what they replaced -------------------------------------------------------------------------

OLD_SOUND = re.compile(r"\[sound:[^\]]*\]")
OLD_IMAGE_URL = re.compile(r"https://\S+?\.(?:png|jpe?g|gif|webp)(?:\?\S*)?(?=\s|$)", re.IGNORECASE)
OLD_YAML_QUESTION = re.compile(r"^[^\s#-][^\n]*:\s*\n\s*-\s", re.MULTILINE)
OLD_LOOKS_HTML = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*\b[^>]*|/[a-zA-Z][a-zA-Z0-9]*\s*)>")


def pieces(*alphabet: str) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(alphabet), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(pieces("[sound:", "[", "]", "a.mp3", " ", "sound:"))
def test_sound_scanner_matches_the_old_pattern(text: str) -> None:
    converted = plain_text(text)
    assert converted.media == len(OLD_SOUND.findall(text))
    assert converted.text == html.unescape(OLD_SOUND.sub("", text)).strip()


@settings(max_examples=400, deadline=None)
@given(pieces("https://", "HTTPS://", "x", ".png", ".JPG", ".jpeg", ".", "?", "?q=1", " ", "\n", "h", "/"))
def test_image_link_matches_the_old_pattern(text: str) -> None:
    links = OLD_IMAGE_URL.findall(text)
    expected = (links[0], " ".join(OLD_IMAGE_URL.sub(" ", text).split())) if len(links) == 1 else (None, text)
    assert image_and_text(text) == expected


@settings(max_examples=400, deadline=None)
@given(pieces("q", ":", " ", "\t", "\n", "-", "#", "x: ", "- a"))
def test_yaml_question_detection_matches_the_old_pattern(text: str) -> None:
    assert (_YAML_QUESTION.search(text) is None) == (OLD_YAML_QUESTION.search(text) is None)


@settings(max_examples=400, deadline=None)
@given(pieces("<", ">", "/", "a", "b1", "_", "é", " ", "\n", "=", "x"))
def test_html_sniffing_matches_the_old_pattern(text: str) -> None:
    assert looks_html(text) == (OLD_LOOKS_HTML.search(text) is not None)


@pytest.mark.parametrize(("html", "markdown"), [
    ("<b>bold</b> <i>it</i>", "**bold** *it*"),
    ("<div><b>a</b></div>\n<div>b</div>", "**a**\nb"),  # a source line break between blocks shows nothing
    ("x<script>alert(1)</script>y<style>p{}</style>z", "xyz"),
    ("<!-- note -->text<?pi?>", "text"),
    ("<a href='https://x.org'>x.org</a> <a href='ftp://y'>y</a>", "[x.org](https://x.org) y"),
    ("2 < 3 &amp;&amp; 4 > 1", "2 < 3 && 4 > 1"),
    ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "ab\nc"),
    ("<ol><li>one<li>two</ol>", "- one\n- two"),
    ("<p>a<div>b</div>c</p>", "a\nb\nc"),
    ("<br><br><br>x<br><br><br><br>y", "x\n\ny"),
    # Unlike HTMLParser, an HTML5 parser closes what is left open and drops end tags that close nothing.
    ("a<b>b", "a**b**"),
    ("a</b>b", "ab"),
])
def test_html_to_markdown_keeps_its_output(html: str, markdown: str) -> None:
    assert html_to_markdown(html).text == markdown
