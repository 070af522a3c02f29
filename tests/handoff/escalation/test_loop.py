from handoff.escalation.decision import Reason
from handoff.escalation.loop import BotTurn, bot_loop, expected_repeat, form_reask

SORRY = "Sorry, dat begreep ik niet. Kun je het anders zeggen?"


def test_same_answer_to_two_different_turns_is_a_loop() -> None:
    turns = [
        BotTurn("hoi", "Hallo! Waarmee kan ik helpen?"),
        BotTurn("mijn rekening", SORRY),
        BotTurn("de rekening van mei", SORRY),
    ]
    decision = bot_loop(turns)
    assert decision is not None
    assert decision.reason is Reason.bot_loop
    assert decision.evidence == (
        "De assistent gaf 2× achter elkaar hetzelfde antwoord "
        "('Sorry, dat begreep ik niet. Kun je het anders zeggen?') "
        "op: 'mijn rekening', 'de rekening van mei'"
    )


def test_answers_equal_after_normalising_are_the_same() -> None:
    turns = [BotTurn("a", "Sorry, wat bedoel je?"), BotTurn("b", "sorry wat bedoel je")]
    assert bot_loop(turns) is not None


def test_one_answer_is_not_a_loop() -> None:
    assert bot_loop([BotTurn("mijn rekening", SORRY)]) is None


def test_different_answers_are_not_a_loop() -> None:
    turns = [BotTurn("a", SORRY), BotTurn("b", "Je jaarafrekening staat in Mijn Omgeving.")]
    assert bot_loop(turns) is None


def test_the_same_words_twice_are_not_a_loop() -> None:
    turns = [BotTurn("mijn rekening", SORRY), BotTurn("Mijn rekening!", SORRY)]
    assert bot_loop(turns) is None
    assert bot_loop([*turns, BotTurn("rekening mei", SORRY)]) is not None


def test_not_in_a_row_is_not_a_loop() -> None:
    turns = [BotTurn("a", SORRY), BotTurn("b", "Prima!"), BotTurn("c", SORRY)]
    assert bot_loop(turns) is None


def test_a_form_reask_is_not_a_loop() -> None:
    ask = "Wat is je klantnummer?"
    turns = [
        BotTurn("meterstand doorgeven", ask),
        BotTurn("weet ik niet", ask, expected=True),
        BotTurn("abc", ask, expected=True),
    ]
    assert bot_loop(turns) is None


def test_the_repeat_count_is_configurable() -> None:
    turns = [BotTurn("a", SORRY), BotTurn("b", SORRY)]
    assert bot_loop(turns, repeats=3) is None
    assert bot_loop([*turns, BotTurn("c", SORRY)], repeats=3) is not None


def test_empty_answers_are_left_to_bot_failure() -> None:
    assert bot_loop([BotTurn("a", ""), BotTurn("b", " ")]) is None


def test_form_reask_is_a_form_question_while_the_form_is_active() -> None:
    assert form_reask("utter_ask_customer_number", "meter_reading_form")
    assert form_reask("utter_invalid_meter_reading", "meter_reading_form")
    assert not form_reask("utter_ask_customer_number", None)
    assert not form_reask("utter_default", "meter_reading_form")
    assert not form_reask(None, "meter_reading_form")


def test_small_talk_answered_the_same_twice_is_not_a_loop() -> None:
    assert expected_repeat("utter_greet", None)
    assert expected_repeat("utter_you_are_welcome", "meter_reading_form")
    assert not expected_repeat("utter_explain_bill", None)
    turns = [
        BotTurn("hallo", "Hoi! Waarmee kan ik je helpen?", expected=True),
        BotTurn("hoi", "Hoi! Waarmee kan ik je helpen?", expected=True),
    ]
    assert bot_loop(turns) is None


def test_asking_to_rephrase_again_is_left_to_the_low_confidence_count() -> None:
    assert expected_repeat("utter_ask_rephrase", None)
    assert expected_repeat("utter_default", None)
