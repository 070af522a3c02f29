from handoff.escalation.decision import Reason
from handoff.escalation.features import TurnFeatures, turn_features
from handoff.escalation.frustration import (
    FrustrationRules,
    Hit,
    Strength,
    frustration,
    marker_hits,
    turn_hits,
)

RULES = FrustrationRules()


def turns(*texts: str) -> list[TurnFeatures]:
    return [turn_features(t) for t in texts]


def test_one_weak_marker_is_not_frustration() -> None:
    assert frustration(turns("Hoi", "Het werkt niet")) is None


def test_two_weak_markers_in_recent_turns_are() -> None:
    decision = frustration(turns("Het werkt niet", "Ik wil mijn factuur zien", "alweer fout"))
    assert decision is not None
    assert decision.reason is Reason.frustration
    assert decision.evidence == (
        "Tekenen van frustratie: 'werkt niet' in 'Het werkt niet'; 'alweer' in 'alweer fout'"
    )
    assert (decision.details["strong"], decision.details["weak"]) == (0, 2)


def test_two_weak_markers_in_one_turn_are() -> None:
    decision = frustration(turns("Het werkt nog steeds niet, alweer"))
    assert decision is not None
    assert decision.evidence == (
        "Tekenen van frustratie: 'alweer', 'nog steeds' in 'Het werkt nog steeds niet, alweer'"
    )


def test_weak_markers_outside_the_window_do_not_add_up() -> None:
    assert frustration(turns("Het werkt niet", "a", "b", "c", "alweer fout")) is None


def test_one_strong_marker_is() -> None:
    decision = frustration(turns("Dit is echt belachelijk."))
    assert decision is not None
    assert decision.evidence == (
        "Tekenen van frustratie: 'belachelijk' (sterk) in 'Dit is echt belachelijk.'"
    )


def test_english_markers() -> None:
    decision = frustration(turns("This is useless"))
    assert decision is not None and "'useless' (sterk)" in decision.evidence
    assert frustration(turns("It doesn't work", "again?")) is not None


def test_swear_word_prefix_matches_compounds() -> None:
    assert marker_hits(turn_features("wat een kloteding"), ["klote*"]) == ["klote*"]
    assert marker_hits(turn_features("ik heb een klok"), ["klote*"]) == []


def test_markers_match_whole_words_only() -> None:
    assert marker_hits(turn_features("de stilte in huis"), ["still"]) == []
    assert marker_hits(turn_features("it was against me"), ["again"]) == []


def test_markers_match_on_lemmas_too() -> None:
    assert marker_hits(turn_features("de facturen"), ["factuur"]) == ["factuur"]
    assert marker_hits(turn_features("belachelijker kan niet"), ["belachelijk"]) == ["belachelijk"]


def test_a_marker_inside_a_longer_hit_counts_once() -> None:
    rules = FrustrationRules(strong=(), weak=("snap er niks", "snap er niks van"))
    assert turn_hits(turn_features("ik snap er niks van"), rules) == [
        Hit("snap er niks van", Strength.weak, "marker")
    ]


def test_shouting_is_a_weak_sign() -> None:
    assert frustration(turns("WAAROM KRIJG IK GEEN ANTWOORD")) is not None  # + "geen antwoord"
    assert frustration(turns("IK WIL MIJN METERSTAND DOORGEVEN")) is None
    decision = frustration(turns("IK WIL MIJN METERSTAND DOORGEVEN", "HALLO IS DAAR IEMAND"))
    assert decision is not None
    assert decision.evidence == (
        "Tekenen van frustratie: hoofdletters in 'IK WIL MIJN METERSTAND DOORGEVEN'; "
        "hoofdletters in 'HALLO IS DAAR IEMAND'"
    )


def test_short_capitals_are_not_shouting() -> None:
    assert turn_hits(turn_features("OK"), RULES) == []
    assert turn_hits(turn_features("KPN BTW"), RULES) == []


def test_repeated_punctuation() -> None:
    assert turn_hits(turn_features("Hallo!!!"), RULES) == [Hit("!!!", Strength.weak, "punctuation")]
    assert frustration(turns("Hallo!!!")) is None
    decision = frustration(turns("Het werkt niet!!!"))
    assert decision is not None
    assert decision.evidence == "Tekenen van frustratie: 'werkt niet', '!!!' in 'Het werkt niet!!!'"
    assert frustration(turns("Waar blijft mijn geld???", "hallo????")) is not None


def test_mixed_punctuation_run() -> None:
    assert turn_hits(turn_features("echt?!?"), RULES) == [Hit("?!?", Strength.weak, "punctuation")]


def test_old_hits_do_not_fire_again_on_a_calm_turn() -> None:
    assert frustration(turns("belachelijk", "ok, mijn klantnummer is 12345")) is None


def test_marker_lists_are_parameters() -> None:
    rules = FrustrationRules(strong=("bah",), weak=())
    assert frustration(turns("bah"), rules) is not None
    assert frustration(turns("belachelijk"), rules) is None


def test_a_strong_hit_counts_towards_the_weak_count() -> None:
    rules = FrustrationRules(strong_needed=2)
    assert frustration(turns("belachelijk"), rules) is None
    assert frustration(turns("belachelijk, werkt niet"), rules) is not None


def test_hits_are_recomputed_from_stored_features() -> None:
    stored = turn_features("Het is schandalig!!").model_dump(mode="json")
    restored = TurnFeatures.model_validate(stored)
    assert [h.label for h in turn_hits(restored, RULES)] == ["schandalig"]
