"""The concept grader in the deck's language: stems, negations and, for Chinese, Japanese and Korean, substrings."""
from __future__ import annotations

import pytest

from bot.core.decks import Concept, load_deck_file
from bot.core.explain import grade, is_avoidance, words
from tests.conftest import SHIPPED_DECKS

SPANISH = load_deck_file(SHIPPED_DECKS / "pytorch-lr-schedulers-es.yaml")
ENGLISH = load_deck_file(SHIPPED_DECKS / "pytorch-lr-schedulers.yaml")

# One concept per language, written as a deck author would: "It lowers the learning rate".
LOWERS = {
    "es": Concept("Reduce la tasa de aprendizaje", ("reducir la tasa de aprendizaje", "bajar la tasa")),
    "de": Concept("Senkt die Lernrate", ("verringert die Lernrate", "senkt die Lernrate")),
    "fr": Concept("Réduit le taux d'apprentissage", ("réduit le taux d'apprentissage", "baisse le taux")),
    "pt": Concept("Reduz a taxa de aprendizado", ("reduzir a taxa de aprendizado", "diminuir a taxa")),
    "ja": Concept("学習率を下げる", ("学習率を下げる", "学習率を小さくする")),
}
GOOD = {
    "es": "El programador va reduciendo la tasa de aprendizaje cada pocas épocas.",
    "de": "Der Scheduler verringert die Lernrate nach jeder zehnten Epoche.",
    "fr": "Le planificateur réduit le taux d'apprentissage toutes les dix époques.",
    "pt": "O agendador reduz a taxa de aprendizado a cada dez épocas.",
    "ja": "スケジューラは十エポックごとに学習率を下げます。",
}
NEGATED = {
    "es": "El programador no reduce la tasa de aprendizaje en ningún momento.",
    "de": "Der Scheduler verringert die Lernrate nicht, er lässt sie einfach stehen.",
    "fr": "Le planificateur ne réduit pas le taux d'apprentissage pendant l'entraînement.",
    "pt": "O agendador não reduz a taxa de aprendizado durante o treino.",
    "ja": "このスケジューラは学習率を下げない。",
}
UNRELATED = {
    "es": "Los domingos como paella con mi abuela y luego vemos el fútbol.",
    "de": "Am Sonntag fahren wir mit dem Fahrrad an den See und grillen.",
    "fr": "Le dimanche, nous mangeons une crêpe au bord de la mer.",
    "pt": "No domingo vamos à praia comer peixe grelhado com a família.",
    "ja": "日曜日は家族と海に行って魚を食べました。",
}


def hit(text: str, concept: Concept, language: str) -> bool:
    return grade(text, (concept,), language).hits == (True,)


@pytest.mark.parametrize("language", sorted(LOWERS))
def test_a_good_answer_earns_the_concept(language: str) -> None:
    assert hit(GOOD[language], LOWERS[language], language)


@pytest.mark.parametrize("language", sorted(LOWERS))
def test_a_negated_answer_does_not(language: str) -> None:
    assert not hit(NEGATED[language], LOWERS[language], language)


@pytest.mark.parametrize("language", sorted(LOWERS))
def test_an_unrelated_answer_does_not(language: str) -> None:
    assert not hit(UNRELATED[language], LOWERS[language], language)


def test_a_regional_tag_reads_as_its_language() -> None:
    assert hit("O agendador vai reduzindo a taxa de aprendizado.", LOWERS["pt"], "pt-BR")
    assert not hit("O agendador nao reduz a taxa de aprendizado.", LOWERS["pt"], "pt-BR")


# --- Stems ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "keyword", "answer"), [
    ("es", "reduce", "va reduciendo la tasa poco a poco"),
    ("es", "reducir la tasa", "reducen las tasas cada época"),
    ("de", "Lernrate senken", "man muss die Lernraten senken"),
    ("fr", "diminuer le taux", "cela diminue le taux"),
    ("pt", "reduzir", "vai reduzindo a taxa"),
])
def test_other_forms_of_a_word_meet_the_keyword(language: str, keyword: str, answer: str) -> None:
    assert hit(answer, Concept("x", (keyword,)), language)


def test_the_english_stemmer_is_not_used_for_spanish() -> None:
    concept = Concept("x", ("reduce",))
    assert hit("va reduciendo la tasa", concept, "es")
    # The same concept graded as English does not take the Spanish stem: the cache is kept per language.
    assert not hit("va reduciendo la tasa", concept, "en")


def test_accents_typed_or_not_meet_the_same_keyword() -> None:
    assert hit("la tasa baja en cada epoca y mejora la precision", Concept("x", ("época", "precisión")), "es")
    assert not hit("nao reduz a taxa", LOWERS["pt"], "pt")


# --- Negation in each language -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "text"), [
    ("es", "Nunca reduce la tasa de aprendizaje."),
    ("es", "Funciona sin reducir la tasa de aprendizaje."),
    ("de", "Ohne die Lernrate zu senken, lernt das Modell weiter."),
    ("de", "Er senkt nie die Lernrate."),
    ("fr", "Il ne baisse jamais le taux."),
    ("fr", "Franchement, ça baisse pas le taux."),
    ("fr", "Il fonctionne sans baisser le taux."),
    ("pt", "Nunca diminui a taxa."),
    ("ja", "学習率を下げなかった。"),
    ("ja", "学習率を下げません。"),
    ("ja", "学習率を下げずに学習を続ける。"),
    ("ja", "学習率を小さくしない。"),
])
def test_each_language_negates_in_its_own_words(language: str, text: str) -> None:
    assert not hit(text, LOWERS[language], language)


@pytest.mark.parametrize(("language", "text"), [
    ("es", "No solo reduce la tasa de aprendizaje, también mejora la precisión."),
    ("es", "Sin embargo, reduce la tasa de aprendizaje al final."),
    ("de", "Er senkt die Lernrate nicht nur am Anfang, sondern in jeder Phase."),
    ("de", "Nicht das Momentum, sondern die Lernrate wird gesenkt: er senkt die Lernrate."),
    ("fr", "Il ne fait que baisser le taux, rien d'autre."),
    ("fr", "Il baisse le taux pas à pas."),
    ("pt", "Não só reduz a taxa de aprendizado como melhora o modelo."),
    ("ja", "学習率が大きすぎないように、学習率を下げる。"),
])
def test_phrases_that_only_look_negated_still_earn(language: str, text: str) -> None:
    assert hit(text, LOWERS[language], language)


def test_a_negation_before_a_clause_break_does_not_reach_the_phrase() -> None:
    assert hit("No es aleatorio, pero reduce la tasa de aprendizaje.", LOWERS["es"], "es")
    assert hit("Das ist nicht zufällig, aber es senkt die Lernrate.", LOWERS["de"], "de")


def test_avoidance_concepts_are_read_in_the_deck_language() -> None:
    assert is_avoidance("Evitar quedarse atascado", "es")
    assert is_avoidance("Überschwingen vermeiden", "de")
    assert is_avoidance("Éviter de rester bloqué", "fr")
    assert is_avoidance("局所解にはまるのを避ける", "ja")
    assert not is_avoidance("Reduce la tasa de aprendizaje", "es")
    stuck = Concept("Evitar quedarse atascado", ("atascado",))
    assert hit("Así el modelo no se queda atascado.", stuck, "es")


def test_french_elisions_are_words_of_their_own() -> None:
    assert [w.text for w in words("L'optimiseur n'abaisse qu'un taux", "fr")] == ["optimiseur", "n", "abaisse",
                                                                                  "qu", "taux"]
    assert not hit("L'optimiseur n'abaisse jamais le taux.", Concept("x", ("abaisse le taux",)), "fr")


# --- Chinese, Japanese, Korean -------------------------------------------------------------------------------------


def test_full_width_and_half_width_text_is_folded() -> None:
    steplr = Concept("StepLR", ("StepLR", "ステップ"))
    assert hit("ＳｔｅｐＬＲは学習率を下げる。", steplr, "ja")
    assert hit("ｽﾃｯﾌﾟごとに学習率を下げる。", steplr, "ja")
    assert hit("ｓｔｅｐｌｒで学習率を下げる。", steplr, "ja")


def test_a_latin_keyword_does_not_match_inside_a_latin_word() -> None:
    assert not hit("allreduceを使って学習する。", Concept("x", ("lr",)), "ja")
    assert hit("LRを下げて学習する。", Concept("x", ("lr",)), "ja")


def test_a_dictionary_form_keyword_meets_other_forms() -> None:
    assert hit("エポックごとに学習率を下げています。", LOWERS["ja"], "ja")
    assert hit("だんだん学習率を小さくします。", LOWERS["ja"], "ja")


def test_words_that_only_contain_a_negation_do_not_negate() -> None:
    assert hit("学習率が少ないと遅いので、学習率を下げるのは後にする。", Concept("x", ("学習率",)), "ja")


def test_a_japanese_answer_must_be_more_than_a_word() -> None:
    result = grade("学習率", (LOWERS["ja"],), "ja")
    assert result.hit == 0 and "One word" in result.note


def test_chinese_negation_comes_before_the_verb() -> None:
    lowers = Concept("降低学习率", ("降低学习率",))
    assert hit("调度器会逐步降低学习率。", lowers, "zh")
    assert not hit("这个调度器不降低学习率。", lowers, "zh")
    assert hit("调度器不断降低学习率。", lowers, "zh")  # 不断 is "continually", not a negation


def test_korean_negation_follows_the_verb() -> None:
    lowers = Concept("학습률을 줄인다", ("학습률을 줄이", "학습률을 줄인"))
    assert hit("스케줄러는 에폭마다 학습률을 줄인다.", lowers, "ko")
    assert not hit("스케줄러는 학습률을 줄이지 않는다.", lowers, "ko")


# --- The shipped Spanish deck, and English unchanged ---------------------------------------------------------------


def spanish(prompt_id: str) -> tuple[Concept, ...]:
    prompt = SPANISH.prompt(prompt_id)
    assert prompt is not None, f"the Spanish deck lost prompt {prompt_id}"
    return prompt.concepts


def test_spanish_model_answers_earn_every_concept() -> None:
    for prompt in SPANISH.explain:
        assert grade(prompt.answer, prompt.concepts, SPANISH.language).all_hit, prompt.id


def test_a_spanish_answer_in_its_own_words() -> None:
    text = ("StepLR multiplica la tasa por gamma cada step_size épocas; entre medias se mantiene igual, "
            "así que va bajando a saltos.")
    assert grade(text, spanish("como-cambia-steplr-la-tasa"), "es").hits == (True, True, True, True)
    negated = "StepLR no baja la tasa: la deja quieta todo el entrenamiento."
    assert grade(negated, spanish("como-cambia-steplr-la-tasa"), "es").hits[0] is False


def test_a_spanish_answer_about_why_schedulers_help() -> None:
    text = ("Al principio da pasos grandes para avanzar rápido y luego pasos pequeños para converger, "
            "así no se queda atascado y mejora la precisión.")
    assert grade(text, spanish("por-que-son-utiles"), "es").hits == (True, True, True, True)


def test_english_grading_is_unchanged_by_default() -> None:
    for prompt in ENGLISH.explain:
        for text in (prompt.answer, "It does not lower the learning rate.", "It drops the rate every 30 epochs."):
            assert grade(text, prompt.concepts) == grade(text, prompt.concepts, "en")
            assert grade(text, prompt.concepts) == grade(text, prompt.concepts, "en-GB")
    assert grade("It does not lower the learning rate.", spanish("como-cambia-steplr-la-tasa")[:1]).hit == 0
