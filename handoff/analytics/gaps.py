"""Knowledge gaps: the customer turns the bot failed on, grouped by what they asked.

A turn *failed* when the NLU did not understand it (below the live threshold, out of
scope, or unlike every training example of its intent, as ``signals.judge`` judges; form
answers excluded: their validator judges them), when the bot answered it with its
fallback however sure the NLU was (``BOT_FALLBACK_RESPONSES``, as the live low-confidence
count judges), or when it restated an earlier need (``rephrase.rephrases``, the live
signal's own grouping; a form answer too, when it strayed from the form's question).
Only turns the bot judged are looked at: those of every bot phase (up to the first
handoff, and again after a person handed the conversation back), not what a person
answered in between. As live, a restatement is of a need in the same bot phase.

Turns are grouped greedily in log order with the rephrase signal's own ``similarity``
and the rule set's ``rephrase_threshold``: a turn joins the group whose first members it
is most similar to, if at or above the threshold, else starts a group. Largest groups
first; each with example sentences and how many of its conversations reached a person.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel

from handoff.escalation.confidence import BOT_FALLBACK_RESPONSES
from handoff.escalation.features import TurnFeatures
from handoff.escalation.rephrase import rephrases, similarity, states_a_need
from handoff.escalation.signals import CurrentTurn, PastTurn, judge, rephrase_history
from handoff.replay.history import History
from handoff.rulesets.defaults import RuleSetData

EXAMPLES = 3
KEYWORDS = 3
# A group is compared on its first members: enough to hold its meaning, and it keeps
# grouping linear in the number of failed turns.
REPRESENTATIVES = 5


@dataclass(frozen=True)
class FailedTurn:
    conversation_id: str
    message_id: int
    text: str
    features: TurnFeatures
    why: str  # "low_confidence", "out_of_scope", "unfamiliar", "bot_fallback", "rephrase"
    reached_person: bool


def failed_turns(history: History, rules: RuleSetData) -> list[FailedTurn]:
    failed: list[FailedTurn] = []
    reached = any(h.turn is not None for h in history.handoffs)
    for phase in history.phases:
        past: list[PastTurn] = []
        for turn in phase.turns:
            if turn.features is None:
                continue
            as_past = turn.as_past()
            why = None
            if turn.nlu is not None and not turn.form_answer:
                verdict = judge(turn.nlu, rules).verdict.value
                if verdict in ("low_confidence", "out_of_scope", "unfamiliar"):
                    why = verdict
                elif any(a.response in BOT_FALLBACK_RESPONSES for a in turn.answers):
                    why = "bot_fallback"
            if why is None:
                current = CurrentTurn(turn.text, turn.features, turn.form_answer)
                turns = rephrase_history(past, current, rules, turn.nlu, as_past.answers)
                if rephrases(turns, rules.thresholds.rephrase_threshold):
                    why = "rephrase"
            # A restatement names the gap even where it answered a form (it strayed).
            if why == "rephrase" or (why is not None and states_a_need(turn.features)):
                failed.append(
                    FailedTurn(
                        history.conversation_id,
                        turn.message_id,
                        turn.text,
                        turn.features,
                        why,
                        reached,
                    )
                )
            past.append(as_past)
    return failed


class GapGroup(BaseModel):
    size: int  # failed turns
    conversations: int
    reached_person: int  # of those conversations
    keywords: list[str]  # the most common content lemmas
    examples: list[str]
    why: dict[str, int]
    conversation_ids: list[str]


@dataclass
class _Group:
    members: list[FailedTurn] = field(default_factory=list)


def group(turns: Sequence[FailedTurn], threshold: float) -> list[GapGroup]:
    groups: list[_Group] = []
    by_gram: dict[str, set[int]] = {}
    for turn in turns:
        candidates = {g for gram in turn.features.char_ngrams for g in by_gram.get(gram, ())}
        best, best_score = None, 0.0
        for index in sorted(candidates):
            score = max(
                similarity(m.features, turn.features)
                for m in groups[index].members[:REPRESENTATIVES]
            )
            if score > best_score:
                best, best_score = index, score
        if best is None or best_score < threshold:
            best = len(groups)
            groups.append(_Group())
        groups[best].members.append(turn)
        if len(groups[best].members) <= REPRESENTATIVES:
            for gram in turn.features.char_ngrams:
                by_gram.setdefault(gram, set()).add(best)
    return sorted((_public(g) for g in groups), key=lambda g: (-g.size, g.examples))


def _public(found: _Group) -> GapGroup:
    members = found.members
    conversations = {m.conversation_id: m.reached_person for m in members}
    lemmas = Counter(lemma for m in members for lemma in m.features.content_lemmas)
    examples = list(dict.fromkeys(" ".join(m.text.split()) for m in members))[:EXAMPLES]
    return GapGroup(
        size=len(members),
        conversations=len(conversations),
        reached_person=sum(1 for reached in conversations.values() if reached),
        keywords=[w for w, _ in sorted(lemmas.items(), key=lambda i: (-i[1], i[0]))[:KEYWORDS]],
        examples=examples,
        why=dict(sorted(Counter(m.why for m in members).items())),
        conversation_ids=list(conversations),
    )


def knowledge_gaps(histories: Sequence[History], rules: RuleSetData) -> list[GapGroup]:
    turns = [t for h in histories for t in failed_turns(h, rules)]
    return group(turns, rules.thresholds.rephrase_threshold)
