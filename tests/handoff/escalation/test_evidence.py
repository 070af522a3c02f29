from handoff.escalation.evidence import quote, quotes


def test_quote_collapses_whitespace() -> None:
    assert quote("  mijn\n  rekening ") == "'mijn rekening'"


def test_quote_cuts_long_text() -> None:
    assert quote("a" * 100, limit=10) == "'aaaaaaaaa…'"


def test_quotes_joins_with_commas() -> None:
    assert quotes(["a", "b"]) == "'a', 'b'"
