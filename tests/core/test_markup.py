"""HTML → Discord markdown for imported fields: spans keep the spaces and line breaks between them, code keeps its
fences and its text, and empty emphasis disappears without taking the whitespace around it.

Each case is a field as Anki's editor writes it and the text a member then reads on the card.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.core.importers import common, import_file
from bot.core.importers.common import _MarkdownWriter, html_to_markdown, plain_text
from tests.core.test_hostile_inputs import finishes, repeat

SPANS = [
    # Two spans and the space between them: the old empty-emphasis rule read "** **" as empty bold.
    ("<b>a</b> <b>b</b>", "**a** **b**"),
    ("<b>one</b><br><b>two</b><br><b>three</b>", "**one**\n**two**\n**three**"),
    ("<div><b>one</b></div><div><b>two</b></div><div><b>three</b></div>", "**one**\n**two**\n**three**"),
    ("<u>a</u> <u>b</u>", "__a__ __b__"),
    ("<code>a</code> <code>b</code>", "`a` `b`"),
    ("<b>a</b> <u>b</u> <code>c</code> <s>d</s>", "**a** __b__ `c` ~~d~~"),
    ("<b>a</b>, <i>b</i> and <u>c</u>", "**a**, *b* and __c__"),
    # Two spans of the same kind with nothing between them read as one.
    ("<b>a</b><b>b</b>", "**ab**"),
    # Whitespace at a span's edge goes outside the markers, where Discord still reads them as emphasis.
    ("a<b> b </b>c", "a **b** c"),
    ("<b>a<br></b>b", "**a**\nb"),
    ("<b><a href='https://x.org'>site</a></b> <i>b</i>", "**[site](https://x.org)** *b*"),
]

EMPTY = [
    ("<b></b>empty", "empty"),
    ("a<b></b> b", "a b"),
    ("a <b> </b>b", "a b"),
    ("a<b> </b>b", "a b"),
    ("a<i><b></b></i>b", "ab"),
    ("x<b><img src='a.png'></b> y", "x y"),
    ("one<b><br></b>two", "one\ntwo"),
    ("<u></u><s> </s><code></code>text", "text"),
    ("a <b><a href='https://x.org'></a></b> b", "a b"),
    ("<b>a</b><b><a href='https://x.org'> </a></b> c", "**a** c"),
]

CODE = [
    ("<code>x = 1</code>", "`x = 1`"),
    ("use <code>len(x)</code> here", "use `len(x)` here"),
    ("<code>a*b*c</code>", "`a*b*c`"),
    ("<code><b>bold</b> not</code>", "`bold not`"),
    ("<code>a`b</code>", "``a`b``"),
    ("<pre>def f():\n    return 1</pre>", "```\ndef f():\n    return 1\n```"),
    ("before<pre>x  =  1\n\n\ny</pre>after", "before\n```\nx  =  1\n\n\ny\n```\nafter"),
    ("<pre><code>if a:\n    b()\n</code></pre>", "```\nif a:\n    b()\n```"),
    ("<pre>a <b>b</b> <i>c</i> __d__</pre>", "```\na b c __d__\n```"),
    ("<pre>a<br>  b</pre>", "```\na\n  b\n```"),
    ("<b><pre>see <a href='https://x.org'>x.org</a></pre></b>", "```\nsee x.org\n```"),
    # A fence the author typed in the field, as Anki's editor stores it: lines as <br> or <div>, indents as &nbsp;.
    ("```<br>def f():<br>&nbsp; &nbsp; return 1<br>```", "```\ndef f():\n    return 1\n```"),
    ("<div>```python</div><div>x&nbsp; =&nbsp; 1</div><div><br></div><div>y</div><div>```</div>",
     "```python\nx  =  1\n\ny\n```"),
    ("text\n```\n  a  b\n```\nmore", "text\n```\n  a  b\n```\nmore"),
    ("```x = 1```", "```x = 1```"),
]

# Whitespace as a browser (and Anki's reviewer) shows it: a line break in the HTML source is a space; <br> and blocks
# break lines; <pre> and a fence typed into the text keep their own lines and indents.
WHITESPACE = [
    ("a\n b", "a b"),
    ("a\t\tb\r\nc", "a b c"),
    ("<p>one\ntwo</p>", "one two"),
    ("<b>a</b>\n<b>b</b>", "**a** **b**"),
    ("<b>a\n</b>b", "**a** b"),
    ("<code>x =\n  1</code>", "`x = 1`"),
    ("a<br>b", "a\nb"),
    ("a\n<br>\n b", "a\nb"),
    ("a<br> <br>b", "a\n\nb"),
    # Whitespace between blocks shows nothing: no empty line between rows or list items.
    ("<div>a</div>\n<div>b</div>", "a\nb"),
    ("<table>\n<tr><td>a</td></tr>\n<tr><td>b</td></tr>\n</table>", "a\nb"),
    ("<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>", "- a\n- b"),
    ("<pre>def f():\n    return 1</pre>", "```\ndef f():\n    return 1\n```"),
    ("x\n<pre>\n  y\n\n  z\n</pre>\n w", "x\n```\n  y\n\n  z\n```\nw"),
    ("a&nbsp;&nbsp;\nb", "a b"),
]


@pytest.mark.parametrize(("html", "markdown"), WHITESPACE)
def test_whitespace_reads_as_a_browser_shows_it(html: str, markdown: str) -> None:
    assert html_to_markdown(html).text == markdown


def test_a_plain_text_field_keeps_its_line_breaks() -> None:
    assert plain_text("a\n b").text == "a\n b"
    data = b'#separator:tab\n#html:false\n"first\nline"\tback\none\t"two\n  lines"\n'
    cards = import_file(data, "plain.txt").deck.cards
    assert [(card.front, card.back) for card in cards] == [("first\nline", "back"), ("one", "two\n  lines")]
    csv_cards = import_file(b'front,back\n"a\nb",c\n', "plain.csv").deck.cards
    assert [(card.front, card.back) for card in csv_cards] == [("a\nb", "c")]


def test_an_html_anki_text_export_reads_source_line_breaks_as_spaces() -> None:
    data = b'#separator:tab\n#html:true\n"<div>first\nline</div>"\t"a<br>b"\n'
    cards = import_file(data, "html.txt").deck.cards
    assert [(card.front, card.back) for card in cards] == [("first line", "a\nb")]


@pytest.mark.parametrize(("html", "markdown"), SPANS)
def test_spans_keep_what_separates_them(html: str, markdown: str) -> None:
    assert html_to_markdown(html).text == markdown


@pytest.mark.parametrize(("html", "markdown"), EMPTY)
def test_empty_emphasis_disappears_and_keeps_the_whitespace(html: str, markdown: str) -> None:
    assert html_to_markdown(html).text == markdown


@pytest.mark.parametrize(("html", "markdown"), CODE)
def test_code_keeps_its_fences_and_text(html: str, markdown: str) -> None:
    assert html_to_markdown(html).text == markdown


def test_media_inside_emphasis_is_counted() -> None:
    converted = html_to_markdown("<b><img src='a.png'></b>text [sound:a.mp3]")
    assert (converted.text, converted.media) == ("text", 2)


def test_an_anki_text_export_with_code_and_adjacent_spans() -> None:
    # Through the whole importer, as a member sees the card (an Anki text export keeps a field's HTML as it is).
    data = (b"#separator:tab\n#html:true\n"
            b"<b>Python</b> <u>loop</u>\t<pre>for i in range(3):<br>    print(i)</pre>\n"
            b"<b>one</b><br><b>two</b><br><b>three</b>\t<code>a</code> <code>b</code>\n")
    cards = {card.front: card.back for card in import_file(data, "code.txt").deck.cards}
    assert cards == {
        "**Python** __loop__": "```\nfor i in range(3):\n    print(i)\n```",
        "**one**\n**two**\n**three**": "`a` `b`",
    }


def test_a_conversion_stopped_halfway_does_not_leak_into_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    # The parser is reused per thread; one left mid-document (or holding this broken writer) must not be used again.
    def broken(self: _MarkdownWriter, data: str) -> None:
        raise RuntimeError("stop")

    with monkeypatch.context() as patch:
        patch.setattr(_MarkdownWriter, "data", broken)
        patch.setattr(common._local, "pair", None)  # the next parser is made with the broken writer
        with pytest.raises(RuntimeError):
            html_to_markdown("<div><b>first <i>open")
    assert html_to_markdown("<u>next</u> field").text == "__next__ field"


def test_threads_convert_side_by_side() -> None:
    fields = [f"<b>{i}</b> <i>x</i><pre>  {i}\n</pre>" for i in range(200)]
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(lambda field: html_to_markdown(field).text, fields))
    assert texts == [f"**{i}** *x*\n```\n  {i}\n```" for i in range(200)]


# Each new step of the converter on its worst input, at the upload limit: linear, like the cases in
# test_hostile_inputs (whose child-process runner this uses).
HOSTILE = {
    "spans-waiting-on-whitespace": repeat("<b> "),
    "span-ends-in-whitespace": repeat("<b>x </b>"),
    "spans-before-empty-links": repeat("<b><a href='https://x.org'></a>"),
    # Each block looked back past every marker an empty link left erased: quadratic before.
    "blocks-after-erased-markers": repeat("<div><b><a href='https://x.org'></a></b>"),
    "unclosed-pre": repeat("<pre>\n "),
    "fences-in-text": repeat("``` <br>"),
    "backticks-in-code": repeat("<code>`"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_conversion_is_linear_on_hostile_markup(tmp_path: Path, case: str) -> None:
    finishes(tmp_path, "bot.core.importers.common:html_to_markdown", HOSTILE[case].encode(), kind="text")
