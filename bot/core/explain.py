"""Grading an explanation written in the member's own words by the key concepts it mentions.

Pure: no Discord, no database. A concept is met when any of its keyword phrases appears in the answer:
case- and accent-insensitive, stemmed in the deck's language ("scheduling" meets "schedule", "reduciendo" meets
"reduce"), tolerant of typos in longer words, and not when the phrase is negated ("it does not speed up training"
does not earn "speed up", nor "verringert die Lernrate nicht" earn "verringert"). Chinese, Japanese and Korean
write no spaces between words, so there a keyword is looked for as a substring of the normalised answer.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz

from bot.core.decks import DEFAULT_LANGUAGE, Concept
from bot.core.streaks import StreakUpdate
from bot.core.translation import N_

MAX_ANSWER_CHARS = 1500  # the modal's limit; long enough for a paragraph, short enough to grade instantly
MIN_WORDS = 2  # a single word is a guess, not an explanation

# Typos are forgiven on longer words only: one wrong letter in a short word makes another word ("air" / "chair").
FUZZY_MIN_LENGTH = 5
FUZZY_MIN_RATIO = 85.0

NEGATION_WINDOW = 3  # words before a phrase that can negate it
NEGATIONS = frozenset(
    {"not", "no", "never", "without", "cannot", "nor", "neither", "none", "nothing", "hardly"}
    # The same contractions typed without an apostrophe, as people do in chat.
    | {"dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont", "cant", "couldnt", "shouldnt", "wouldnt"}
)
# A negation does not reach past these: "it is not random, it speeds up training" still earns "speed up".
CLAUSE_BREAKS = frozenset({"but", "although", "though", "however", "whereas", "while", "yet"})
# "not only faster but also…" affirms: a negation word followed by one of these negates nothing.
NOT_NEGATING_NEXT = frozenset({"only", "just", "merely", "simply"})
# A concept named for avoiding something ("Avoid getting stuck") is expressed BY a negation ("so it doesn't get
# stuck", "without overshooting"), so the guard is off for it. Compared as stems of the concept name's words.
AVOIDANCE = frozenset({"avoid", "prevent", "stop", "without", "not", "no", "never", "less", "fewer"})
# Articles carry no meaning for a concept; dropping them lets "the learning rate" meet "learning rate".
IGNORED = frozenset({"a", "an", "the"})

# Decimals stay one word ("0.1"); other punctuation is kept as a token because it ends a clause.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:'[^\W_]+)*|[.,;:!?()\[\]\"]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})

# ISO 639-1 codes of the languages Snowball stems (the algorithms snowballstemmer names; PyStemmer, when installed,
# runs the same algorithms in C). A deck in a language missing here is matched word by word without stemming.
_SNOWBALL = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish", "nl": "dutch",
    "en": "english", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french", "de": "german",
    "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "fa": "persian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "st": "sesotho",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}


@dataclass(frozen=True, slots=True)
class WordLanguage:
    """How answers are read in a language that separates words with spaces."""

    negations: frozenset[str] = frozenset()  # negate the words after them ("no reduce", "ne réduit")
    negating_suffix: str = ""  # English "n't" in any contraction, typed with an apostrophe
    # Negate the words just before them, where the language puts its negation after the verb: German
    # "verringert die Lernrate nicht", spoken French "réduit pas".
    trailing_negations: frozenset[str] = frozenset()
    trailing_window: int = 0
    clause_breaks: frozenset[str] = frozenset()
    not_negating_next: frozenset[str] = frozenset()
    # French "ne … que" means "only": a "ne" that reaches "que" before another negation word affirms.
    restricting: frozenset[str] = frozenset()
    ignored: frozenset[str] = frozenset()
    avoidance: frozenset[str] = frozenset()  # words of a concept name about avoiding something (stemmed on use)
    elisions: frozenset[str] = frozenset()  # French "n'", "l'", "qu'": split off as words of their own


@dataclass(frozen=True, slots=True)
class SubstringLanguage:
    """How answers are read in a language written without spaces between words (Chinese, Japanese, Korean)."""

    negations: tuple[str, ...]
    negation_follows: bool  # Japanese and Korean negate after the verb, Chinese before it
    # Words that contain a negation without negating anything (Japanese 少ない "few", Chinese 不断 "continually").
    not_negating: tuple[str, ...] = ()
    avoidance: tuple[str, ...] = ()  # parts of a concept name about avoiding something
    # Japanese keywords written in dictionary form (下げる) must meet their other forms (下げない, 下げます): the
    # endings trimmed from a keyword, longest first, when at least two characters remain.
    inflections: tuple[str, ...] = ()


_ENGLISH = WordLanguage(
    negations=NEGATIONS, negating_suffix="n't", clause_breaks=CLAUSE_BREAKS, not_negating_next=NOT_NEGATING_NEXT,
    ignored=IGNORED, avoidance=AVOIDANCE,
)

# Chat spellings without accents are covered because every word is folded ("não" is read as "nao").
_WORD_LANGUAGES: dict[str, WordLanguage] = {
    "en": _ENGLISH,
    "es": WordLanguage(
        negations=frozenset({"no", "nunca", "jamas", "sin", "ni", "tampoco", "nada", "ningun", "ninguno", "ninguna"}),
        clause_breaks=frozenset({"pero", "sino", "aunque", "mientras", "embargo"}),
        # "no solo…", "sin embargo" (however), "no obstante" (nevertheless) negate nothing.
        not_negating_next=frozenset({"solo", "solamente", "unicamente", "embargo", "obstante"}),
        ignored=frozenset({"el", "la", "los", "las", "lo", "un", "una", "unos", "unas"}),
        avoidance=frozenset({"evitar", "prevenir", "impedir", "menos"}),
    ),
    "de": WordLanguage(
        negations=frozenset({"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals",
                             "ohne", "weder", "nichts"}),
        trailing_negations=frozenset({"nicht", "nie", "niemals", "keineswegs"}),
        trailing_window=3,
        clause_breaks=frozenset({"aber", "sondern", "obwohl", "jedoch", "doch", "wahrend", "dennoch"}),
        not_negating_next=frozenset({"nur", "bloss", "lediglich", "einfach"}),
        ignored=frozenset({"der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer",
                           "eines"}),
        avoidance=frozenset({"vermeiden", "verhindern", "weniger"}),
    ),
    "fr": WordLanguage(
        negations=frozenset({"ne", "n", "pas", "jamais", "sans", "aucun", "aucune", "rien", "ni", "non"}),
        trailing_negations=frozenset({"pas", "jamais", "rien"}),
        trailing_window=2,
        clause_breaks=frozenset({"mais", "cependant", "pourtant", "tandis", "toutefois", "quoique"}),
        # "non seulement", "pas seulement", "pas à pas" (step by step) negate nothing.
        not_negating_next=frozenset({"seulement", "uniquement", "a"}),
        restricting=frozenset({"que", "qu"}),
        ignored=frozenset({"le", "la", "les", "l", "un", "une"}),
        avoidance=frozenset({"eviter", "empecher", "prevenir", "moins"}),
        elisions=frozenset({"l", "d", "n", "j", "m", "t", "s", "c", "qu", "jusqu", "lorsqu", "puisqu"}),
    ),
    "pt": WordLanguage(
        negations=frozenset({"nao", "nunca", "jamais", "sem", "nem", "nada", "nenhum", "nenhuma"}),
        clause_breaks=frozenset({"mas", "porem", "embora", "enquanto", "contudo", "todavia", "entretanto"}),
        not_negating_next=frozenset({"so", "apenas", "somente"}),
        ignored=frozenset({"o", "a", "os", "as", "um", "uma", "uns", "umas"}),
        avoidance=frozenset({"evitar", "prevenir", "impedir", "menos"}),
    ),
}

_SUBSTRING_LANGUAGES: dict[str, SubstringLanguage] = {
    "ja": SubstringLanguage(
        negations=("ない", "ません", "なかった", "なく", "ず", "無い"),
        negation_follows=True,
        not_negating=("少ない", "少なく", "少なか", "危ない", "危なく"),
        avoidance=("避け", "防", "回避", "抑え"),
        inflections=("する", "う", "く", "ぐ", "す", "つ", "ぬ", "ぶ", "む", "る", "い"),
    ),
    "zh": SubstringLanguage(
        negations=("不", "没", "未", "无", "别"),
        negation_follows=False,
        not_negating=("不仅", "不但", "不只", "不断", "不同", "不少", "无论"),
        avoidance=("避免", "防止"),
    ),
    "ko": SubstringLanguage(
        negations=("않", "못하", "없"),
        negation_follows=True,
        avoidance=("피하", "방지"),
    ),
}
Language = WordLanguage | SubstringLanguage
_NO_RULES = WordLanguage()

SUBSTRING_NEGATION_WINDOW = 4  # characters between a keyword and its negation: 下げ|ていない, 줄이|지 않
# A negation does not reach past the end of a sentence or clause.
_CJK_BREAKS = re.compile(r"[。、．，,.!?！？;；:：\n]")


def _primary(tag: str) -> str:
    return tag.split("-", 1)[0].casefold()  # "pt-BR" is read as Portuguese


def language_of(tag: str) -> Language:
    """How answers in the deck language `tag` (BCP 47) are read; a language without rules here is still stemmed
    when Snowball knows it, with no negation guard."""
    primary = _primary(tag)
    return _SUBSTRING_LANGUAGES.get(primary) or _WORD_LANGUAGES.get(primary) or _NO_RULES


@lru_cache(maxsize=None)
def _stemmer(primary: str) -> Callable[[str], str] | None:
    name = _SNOWBALL.get(primary)
    if name is None or name not in snowballstemmer.algorithms():
        return None
    return snowballstemmer.stemmer(name).stemWord


@dataclass(frozen=True, slots=True)
class ExplainGrade:
    """Which concepts an answer met, in the prompt's order."""

    hits: tuple[bool, ...]
    names: tuple[str, ...]
    hit: int
    total: int
    note: str  # in English, marked for the catalog: shown with `_()` in the language of the result

    @property
    def all_hit(self) -> bool:
        return self.total > 0 and self.hit == self.total


@dataclass(frozen=True, slots=True)
class SavedAttempt:
    """A graded answer as stored: the rating it earned, when the prompt comes back, and the streak it moved."""

    attempt_id: int
    rating: int
    hint_used: bool
    due: datetime
    streak: StreakUpdate | None = None


@dataclass(frozen=True, slots=True)
class _Word:
    text: str  # folded surface form, used for typo tolerance
    stem: str
    clause: int  # words in different clauses never negate each other
    negation: bool  # negates the words after it
    trailing: bool = False  # negates the words just before it


_Token = tuple[str, str]  # (folded text, stem) of one keyword word
_Phrase = tuple[_Token, ...]


def fold(text: str) -> str:
    """Lowercase without accents, with one kind of apostrophe: "Décroît’s" → "decroit's"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def stem(word: str, language: str = DEFAULT_LANGUAGE) -> str:
    stemmer = _stemmer(_primary(language))
    return stemmer(word) if stemmer else word


def _tokens(text: str, rules: WordLanguage) -> list[str]:
    tokens = _TOKEN.findall(fold(text))
    if not rules.elisions:
        return tokens
    split: list[str] = []
    for token in tokens:
        head, apostrophe, rest = token.partition("'")
        if apostrophe and head in rules.elisions:
            split.extend((head, *_TOKEN.findall(rest)))
        else:
            split.append(token)
    return split


def _is_negation(word: str, rules: WordLanguage) -> bool:
    return word in rules.negations or bool(rules.negating_suffix and word.endswith(rules.negating_suffix))


def _affirms(tokens: list[str], index: int, rules: WordLanguage) -> bool:
    """Whether the negation word at `index` negates nothing: "not only…", or "ne réduit que…" ("only reduces")."""
    following = tokens[index + 1] if index + 1 < len(tokens) else ""
    return following in rules.not_negating_next or bool(rules.restricting and _restricts(tokens, index, rules))


def _restricts(tokens: list[str], index: int, rules: WordLanguage) -> bool:
    for token in tokens[index + 1:index + 1 + NEGATION_WINDOW + 1]:
        if token in rules.restricting:
            return True
        if token in rules.negations or not token[0].isalnum():
            return False
    return False


def words(text: str, language: str = DEFAULT_LANGUAGE) -> list[_Word]:
    """The answer's meaningful words in order, articles dropped, each tagged with its clause."""
    rules = language_of(language)
    if isinstance(rules, SubstringLanguage):
        raise ValueError(f"{language} is matched by substring, not word by word")
    found: list[_Word] = []
    clause = 0
    tokens = _tokens(text, rules)
    for index, token in enumerate(tokens):
        if not token[0].isalnum() or token in rules.clause_breaks:
            clause += 1
            continue
        if token in rules.ignored:
            continue
        negation = _is_negation(token, rules)
        trailing = token in rules.trailing_negations
        if (negation or trailing) and _affirms(tokens, index, rules):
            negation = trailing = False
        found.append(_Word(token, stem(token, language), clause, negation, trailing))
    return found


def word_count(text: str, language: str = DEFAULT_LANGUAGE) -> int:
    if isinstance(language_of(language), SubstringLanguage):
        # No spaces to count: a word of these scripts is about two characters long.
        return sum(1 for ch in _normalise(text) if ch.isalnum()) // 2
    return sum(1 for token in _TOKEN.findall(fold(text)) if token[0].isalnum())


@dataclass(frozen=True, slots=True)
class _Compiled:
    phrases: tuple[_Phrase, ...]
    negation_guard: bool


@lru_cache(maxsize=4096)
def _compile(concept: Concept, language: str) -> _Compiled:
    # Decks are immutable, so each concept's keywords are tokenised and stemmed once per process and language.
    phrases = []
    for keyword in concept.keywords:
        phrase = tuple((w.text, w.stem) for w in words(keyword, language))
        if phrase:
            phrases.append(phrase)
    return _Compiled(tuple(phrases), not is_avoidance(concept.name, language))


@lru_cache(maxsize=None)
def _avoidance_stems(language: str, avoidance: frozenset[str]) -> frozenset[str]:
    return frozenset(stem(word, language) for word in avoidance)


def is_avoidance(name: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Whether a concept is about avoiding something, so a negated keyword still expresses it."""
    rules = language_of(language)
    if isinstance(rules, SubstringLanguage):
        text = _normalise(name)
        return any(part in text for part in (*rules.avoidance, *rules.negations))
    stems = _avoidance_stems(language, rules.avoidance)
    return any(w.stem in stems or w.negation or w.trailing for w in words(name, language))


class _Answer:
    """An answer indexed for phrase lookups: where each stem occurs, plus typo-tolerant matches on demand."""

    def __init__(self, answer_words: list[_Word], rules: WordLanguage) -> None:
        self.words = answer_words
        self.rules = rules
        self._by_stem: dict[str, list[int]] = {}
        self._long: dict[str, dict[tuple[str, str], list[int]]] = {}  # first letter → (text, stem) → positions
        for index, word in enumerate(answer_words):
            self._by_stem.setdefault(word.stem, []).append(index)
            if len(word.text) >= FUZZY_MIN_LENGTH:
                self._long.setdefault(word.text[0], {}).setdefault((word.text, word.stem), []).append(index)
        self._cache: dict[_Token, frozenset[int]] = {}

    def positions(self, token: _Token) -> frozenset[int]:
        """Where the answer has this keyword word: same stem, or a near spelling of a long word."""
        found = self._cache.get(token)
        if found is None:
            found = frozenset(self._exact(token) + self._fuzzy(token))
            self._cache[token] = found
        return found

    def _exact(self, token: _Token) -> list[int]:
        return self._by_stem.get(token[1], [])

    def _fuzzy(self, token: _Token) -> list[int]:
        text, stem_ = token
        if len(text) < FUZZY_MIN_LENGTH:
            return []
        # Typos rarely hit the first letter, and requiring it keeps "reduce" from meeting "produce".
        matches: list[int] = []
        for (other_text, other_stem), where in self._long.get(text[0], {}).items():
            if other_stem == stem_:
                continue  # already an exact match
            if (
                fuzz.ratio(text, other_text, score_cutoff=FUZZY_MIN_RATIO)
                or fuzz.ratio(stem_, other_stem, score_cutoff=FUZZY_MIN_RATIO)
            ):
                matches.extend(where)
        return matches

    def negated(self, start: int, end: int) -> bool:
        """Whether the phrase at words start..end is negated by a word before it or, in some languages, after it."""
        clause = self.words[start].clause
        before = self.words[max(0, start - NEGATION_WINDOW):start]
        after = self.words[end + 1:end + 1 + self.rules.trailing_window]
        return (any(w.negation and w.clause == clause for w in before)
                or any(w.trailing and w.clause == clause for w in after))

    def contains(self, phrase: _Phrase, *, negation_guard: bool = True) -> bool:
        """Whether the phrase appears as consecutive words (at least once without a negation around it)."""
        first = self.positions(phrase[0])
        if not first:
            return False
        rest = [self.positions(token) for token in phrase[1:]]
        for start in sorted(first):
            if all(start + offset in where for offset, where in enumerate(rest, 1)):
                if not (negation_guard and self.negated(start, start + len(rest))):
                    return True
        return False

    def meets(self, concept: Concept, language: str) -> bool:
        compiled = _compile(concept, language)
        return any(self.contains(p, negation_guard=compiled.negation_guard) for p in compiled.phrases)


# --- Chinese, Japanese, Korean: keywords as substrings -------------------------------------------------------------


def _normalise(text: str) -> str:
    """NFKC folds full-width Latin and digits to ASCII and half-width kana to full-width; spaces collapse to one."""
    return " ".join(unicodedata.normalize("NFKC", text.translate(_APOSTROPHES)).casefold().split())


def _is_spaced(ch: str) -> bool:
    # Letters and digits of scripts that separate words with spaces (Latin, digits…) sit below the CJK blocks.
    return ch.isalnum() and ord(ch) < 0x2E80


@lru_cache(maxsize=4096)
def _substring_keywords(concept: Concept, language: str) -> tuple[tuple[str, ...], bool]:
    """The concept's keywords as searched for in this language, and whether the negation guard applies."""
    rules = _SUBSTRING_LANGUAGES[_primary(language)]
    keywords = tuple(dict.fromkeys(_trim(_normalise(k), rules) for k in concept.keywords if k.strip()))
    return keywords, not is_avoidance(concept.name, language)


def _trim(keyword: str, rules: SubstringLanguage) -> str:
    for ending in rules.inflections:
        if keyword.endswith(ending) and len(keyword) - len(ending) >= 2:
            return keyword[: -len(ending)]
    return keyword


@lru_cache(maxsize=None)
def _negation_finder(rules: SubstringLanguage) -> re.Pattern[str]:
    # Words that merely contain a negation come first, so the scan takes them whole (少ない is not read as ない).
    return re.compile("|".join(map(re.escape, (*rules.not_negating, *rules.negations))))


class _Text:
    """A normalised answer in a language without spaces, searched keyword by keyword."""

    def __init__(self, text: str, rules: SubstringLanguage) -> None:
        self.text = _normalise(text)
        self.rules = rules
        self._negations = frozenset(
            m.start() for m in _negation_finder(rules).finditer(self.text) if m.group() not in rules.not_negating
        )

    def _occurrences(self, keyword: str) -> list[int]:
        found, at = [], self.text.find(keyword)
        while at != -1:
            if self._whole(at, at + len(keyword)):
                found.append(at)
            at = self.text.find(keyword, at + 1)
        return found

    def _whole(self, start: int, end: int) -> bool:
        # A Latin keyword ("lr") must not match inside a Latin word ("allreduce"); CJK needs no boundary.
        text = self.text
        cut_before = start > 0 and _is_spaced(text[start]) and _is_spaced(text[start - 1])
        cut_after = end < len(text) and _is_spaced(text[end - 1]) and _is_spaced(text[end])
        return not (cut_before or cut_after)

    def negated(self, start: int, end: int) -> bool:
        if self.rules.negation_follows:
            window = self.text[end:end + SUBSTRING_NEGATION_WINDOW + 1]
            reach = _CJK_BREAKS.search(window)
            positions = range(end, end + (reach.start() if reach else len(window)))
        else:
            window = self.text[max(0, start - SUBSTRING_NEGATION_WINDOW - 1):start]
            breaks = [m.end() for m in _CJK_BREAKS.finditer(window)]
            positions = range(start - len(window) + (breaks[-1] if breaks else 0), start)
        return any(at in self._negations for at in positions)

    def meets(self, concept: Concept, language: str) -> bool:
        keywords, guard = _substring_keywords(concept, language)
        return any(
            not (guard and self.negated(at, at + len(keyword)))
            for keyword in keywords
            for at in self._occurrences(keyword)
        )


def grade(text: str, concepts: Sequence[Concept], language: str = DEFAULT_LANGUAGE) -> ExplainGrade:
    """Grade an answer against the prompt's concepts, reading it in the deck's language (a BCP 47 tag)."""
    names = tuple(c.name for c in concepts)
    count = word_count(text, language)
    if count < MIN_WORDS:
        return ExplainGrade((False,) * len(concepts), names, 0, len(concepts), _too_short_note(count))
    rules = language_of(language)
    answer = _Text(text, rules) if isinstance(rules, SubstringLanguage) else _Answer(words(text, language), rules)
    hits = tuple(answer.meets(c, language) for c in concepts)
    hit = sum(hits)
    return ExplainGrade(hits, names, hit, len(concepts), _score_note(hit, len(concepts)))


def _too_short_note(count: int) -> str:
    if count == 0:
        return N_("Nothing to grade yet. Write a sentence or two in your own words: "
                  "a rough explanation still earns concepts.")
    return N_("One word is a start, not an explanation yet. Try a sentence or two about why or how: "
              "a rough answer still earns concepts.")


def _score_note(hit: int, total: int) -> str:
    if total and hit == total:
        return N_("Every key concept is there. Nicely explained!")
    if hit * 2 >= total:
        return N_("Good start: add the missing concepts next time.")
    return N_("Keep going: this prompt comes back soon so you can try again.")


def most_due(
    candidates: Sequence[tuple[str, str]], due: Mapping[tuple[str, str], datetime], now: datetime
) -> tuple[str, str] | None:
    """The (deck id, prompt id) to ask next: the earliest due, a never-seen prompt counting as due now.

    Ties keep the candidates' order, so a deck is walked from its first prompt.
    """
    if not candidates:
        return None
    return min(candidates, key=lambda key: due.get(key, now))
