"""French releases: the language told from the text, the French pipeline loaded only
for them, and the French rules on the forms of demand the guideline covers."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign.extraction import (
    CallToAction,
    MultilingualExtractor,
    Strength,
    Verdict,
    detect_language,
)
from campaign.extraction.extractor_fr import FrenchRuleExtractor, load_french_pipeline

HERE = Path(__file__).parent
SOURCE = "SOURCE: https://www.terre-commune.example/communiques/2026-test\n\n"
DATELINE = "Rennes, le 2 mars 2026 – Terre Commune publie aujourd'hui son rapport annuel.\n\n"


def read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def french() -> FrenchRuleExtractor:
    return FrenchRuleExtractor()


def proposed(extractor: FrenchRuleExtractor, body: str) -> list[CallToAction]:
    text = SOURCE + DATELINE + body
    return [c for c in extractor.extract(text) if c.status == Verdict.PROPOSED]


def only(calls: list[CallToAction]) -> CallToAction:
    assert len(calls) == 1, [c.sentence for c in calls]
    return calls[0]


# The language ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((HERE / "releases_fr").glob("*.txt")), ids=str)
def test_french_releases_are_told_french(path: Path) -> None:
    assert detect_language(read(path)) == "fr"


def test_english_releases_are_told_english() -> None:
    paths = sorted((HERE / "releases").glob("*.txt"))
    assert paths
    assert {detect_language(read(p)) for p in paths} == {"en"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("", "en"),
        ("Merci.", "en"),
        ("Paris, le 3 mai", "en"),  # too little to go on: English, the first language
        ("Le gouvernement doit retirer ce texte avant la fin de la session.", "fr"),
        (
            "L'association demande au ministre de publier les chiffres dans les plus brefs délais.",
            "fr",
        ),
        ("The Ligue des droits de l'Homme and the Société des amis urged the government.", "en"),
        ("Governments must act now, said Amélie Dupont of the Fédération.", "en"),
    ],
)
def test_short_texts_are_told_or_taken_for_english(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_an_english_release_does_not_load_the_french_pipeline() -> None:
    english = read(sorted((HERE / "releases").glob("*.txt"))[0])
    french_text = read(sorted((HERE / "releases_fr").glob("*.txt"))[0])
    extractor = MultilingualExtractor()
    before = load_french_pipeline.cache_info()
    assert extractor.extract(english)
    after_english = load_french_pipeline.cache_info()
    assert (after_english.hits, after_english.misses) == (before.hits, before.misses)
    assert extractor.extract(french_text)
    after_french = load_french_pipeline.cache_info()
    assert after_french.hits + after_french.misses == before.hits + before.misses + 1
    # Loaded once: a second French release reuses it.
    extractor.extract(french_text)
    assert load_french_pipeline.cache_info() == after_french


def test_a_language_given_overrides_the_one_told() -> None:
    extractor = MultilingualExtractor()
    line = "Les députés doivent rejeter ce texte."
    calls = extractor.extract(SOURCE + line, language="fr-FR")
    assert [(c.sentence, c.strength) for c in calls] == [(line, Strength.MUST)]


# Modals ---------------------------------------------------------------------------------


def test_doivent_on_an_actor_is_a_must_addressed_to_it(french: FrenchRuleExtractor) -> None:
    call = only(proposed(french, "Les députés doivent rejeter l'article 12 du projet de loi."))
    assert call.strength == Strength.MUST
    assert call.targets == ["Les députés"]
    assert call.action.startswith("rejeter l'article 12")


def test_devrait_on_an_actor_is_a_should(french: FrenchRuleExtractor) -> None:
    call = only(proposed(french, "La Commission européenne devrait suspendre cet accord."))
    assert (call.strength, call.targets) == (Strength.SHOULD, ["La Commission européenne"])


def test_a_dislocated_subject_is_the_addressee(french: FrenchRuleExtractor) -> None:
    call = only(proposed(french, "La France, elle, doit cesser ses ventes d'armes."))
    assert call.targets == ["La France"]


def test_a_passive_obligation_has_no_addressee(french: FrenchRuleExtractor) -> None:
    call = only(proposed(french, "Le militant Karim Haddad doit être libéré sans condition."))
    assert (call.strength, call.targets) == (Strength.MUST, [])


@pytest.mark.parametrize(
    "sentence",
    [
        "Le gouvernement aurait dû consulter les associations avant de présenter ce texte.",
        "Les autorités n'auraient jamais dû l'arrêter.",
        "Les familles devaient être relogées avant la mise en eau du barrage.",
        "Le projet de loi doit être examiné par le Sénat en juin.",
        "Le Conseil constitutionnel doit se prononcer sur le texte le 12 juillet.",
        "Selon le ministre, le dispositif devrait permettre de réduire les délais.",
        "Faut-il attendre un nouvel hiver pour agir ?",
        "Les États doivent-ils vraiment attendre la prochaine catastrophe ?",
    ],
)
def test_what_is_not_a_demand_is_not_proposed(french: FrenchRuleExtractor, sentence: str) -> None:
    assert proposed(french, sentence) == []


def test_il_faut_que_is_a_must_on_the_clause_subject(french: FrenchRuleExtractor) -> None:
    call = only(proposed(french, "Il faut que le gouvernement retire ce décret sans attendre."))
    assert (call.strength, call.targets) == (Strength.MUST, ["le gouvernement"])


def test_a_negated_demand_keeps_its_negation(french: FrenchRuleExtractor) -> None:
    call = only(proposed(french, "Les banques ne doivent plus financer de nouvelles mines."))
    assert call.action.startswith("ne plus financer")


def test_an_evaluative_frame_is_a_demand_of_other_strength(french: FrenchRuleExtractor) -> None:
    call = only(proposed(french, "Il est urgent que le gouvernement retire ce décret."))
    assert (call.strength, call.targets) == (Strength.OTHER, ["le gouvernement"])


# Performatives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "strength", "targets"),
    [
        (
            "Terre Commune appelle les États membres à ratifier la convention.",
            Strength.CALL,
            ["les États membres"],
        ),
        (
            "L'association exhorte la ministre de la Santé à rouvrir les centres fermés.",
            Strength.URGE,
            ["la ministre de la Santé"],
        ),
        (
            "Terre Commune invite la Défenseure des droits à ouvrir une enquête.",
            Strength.CALL,
            ["la Défenseure des droits"],
        ),
        (
            "Nous demandons au ministère de l'Intérieur de publier ces chiffres.",
            Strength.CALL,
            ["ministère de l'Intérieur"],
        ),
        (
            "Nous exigeons que le gouvernement retire ce décret.",
            Strength.DEMAND,
            ["le gouvernement"],
        ),
        ("Terre Commune réclame la fin des exemptions fiscales.", Strength.DEMAND, []),
    ],
)
def test_calls_of_the_publisher(
    french: FrenchRuleExtractor, sentence: str, strength: Strength, targets: list[str]
) -> None:
    call = only(proposed(french, sentence))
    assert (call.strength, call.targets) == (strength, targets)


def test_coordinated_addressees_are_split(french: FrenchRuleExtractor) -> None:
    call = only(
        proposed(
            french,
            "Terre Commune exhorte la société minière et les bailleurs du projet à indemniser "
            "les familles.",
        )
    )
    assert call.targets == ["la société minière", "les bailleurs du projet"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Le ministre de l'Intérieur a demandé aux préfets d'accélérer les expulsions.",
        "Au Parlement, l'opposition exige la démission du gouvernement.",
        "La Fédération nationale des exploitants a réclamé une indemnisation.",
        "Le Secrétaire général des Nations unies a appelé toutes les parties à cesser le feu.",
    ],
)
def test_demands_of_others_are_not_proposed(french: FrenchRuleExtractor, sentence: str) -> None:
    assert proposed(french, sentence) == []


def test_a_demand_quoted_from_a_minister_is_not_proposed(french: FrenchRuleExtractor) -> None:
    body = (
        "« Les préfets doivent appliquer la loi sans faiblesse », a déclaré le ministre de "
        "l'Intérieur, Paul Vernet."
    )
    assert proposed(french, body) == []


def test_a_demand_quoted_from_the_spokesperson_is_proposed(french: FrenchRuleExtractor) -> None:
    body = (
        "« Les préfets doivent suspendre les expulsions », a déclaré Lina Morel, "
        "porte-parole de Terre Commune."
    )
    call = only(proposed(french, body))
    assert call.sentence == "Les préfets doivent suspendre les expulsions"
    assert call.targets == ["Les préfets"]


# Lists ----------------------------------------------------------------------------------


def test_items_after_a_lead_in_inherit_its_addressee(french: FrenchRuleExtractor) -> None:
    body = (
        "Terre Commune appelle le gouvernement à :\n\n"
        "- retirer le décret du 4 février ;\n"
        "- publier l'étude d'impact ;\n"
        "- associer les associations à la concertation.\n\n"
        "Le rapport est disponible en ligne.\n"
    )
    calls = proposed(french, body)
    assert [c.sentence for c in calls] == [
        "Terre Commune appelle le gouvernement à :",
        "retirer le décret du 4 février ;",
        "publier l'étude d'impact ;",
        "associer les associations à la concertation.",
    ]
    assert all(c.targets == ["le gouvernement"] for c in calls)
    assert all(c.strength == Strength.CALL for c in calls)
    assert calls[1].action == "retirer le décret du 4 février"


def test_a_list_of_demands_under_a_heading_is_proposed(french: FrenchRuleExtractor) -> None:
    body = "Nos demandes :\n\n- un moratoire sur les expulsions ;\n- 5 000 places d'hébergement.\n"
    calls = proposed(french, body)
    assert [c.sentence for c in calls] == [
        "un moratoire sur les expulsions ;",
        "5 000 places d'hébergement.",
    ]


def test_offsets_point_into_the_text_as_given(french: FrenchRuleExtractor) -> None:
    text = SOURCE + DATELINE + "« Le Parlement doit rejeter ce texte », a déclaré Terre Commune."
    for call in french.extract(text):
        assert text[call.start : call.end] == call.sentence
