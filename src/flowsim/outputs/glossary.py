"""The words flowsim uses, declared once: the page's glossary, the report's and the docs'."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    anchor: str       # its id where a page links to it: g-<anchor>
    term: str
    meaning: str


GLOSSARY: tuple[Term, ...] = (
    Term("histories", "histories (replications)",
         "One history is one run of a scenario with its own random draws. An answer is the "
         "average over many histories; each what-if's history is set beside the baseline's "
         "history with the same random numbers, so their difference is the rule's doing."),
    Term("baseline", "baseline",
         "The scenario \"As it happened\": the record's own history, that every what-if is "
         "set against."),
    Term("horizon", "horizon",
         "The scenario's end date. Nothing after it is simulated; figures \"at the horizon\" "
         "are counts on that date."),
    Term("record-days", "record-days",
         "Records ICE could use, times the days it could use them, summed to the horizon: "
         "how long the data could be acted on, not only how much was sent."),
    Term("tin-path", "TIN path",
         "Matching a record on its SSN or ITIN alone, with only a check that the address "
         "field was not blank. The court found 42,695 disclosures made this way unlawful."),
    Term("name-address", "name-and-address path",
         "Matching a record when ICE's name and address agree with the IRS's: about 4,594 of "
         "the 47,289 disclosures."),
    Term("mou", "MOU",
         "The memorandum of understanding Treasury and DHS signed on 2025-04-07, under which "
         "ICE asked the IRS for addresses."),
    Term("notice", "notice window",
         "The hours a court's order requires between telling the court and the plaintiffs of "
         "a file and sending it, during which a court may block the file (the orders of "
         "2025-09-05: 24 hours)."),
    Term("gate", "order at the gate",
         "An injunction or another court order that stops files from being sent from its "
         "date; it may also stop the IRS's review and matching (\"all work stops\"), or hold "
         "files until it is lifted."),
    Term("use-bar", "use bar",
         "A court order that bars ICE from using records it already holds (D. Mass., "
         "2026-02-05)."),
    Term("paired-ci", "paired 95% CI",
         "The interval of a difference from the baseline over histories paired on their "
         "random numbers. It is simulation precision: it says enough histories were run, "
         "not that the answer is known."),
    Term("left-open", "what the record leaves open",
         "What the public record cannot test (how a court would rule, whether ICE would ask "
         "again, how fast the IRS works), explored across every reading it allows, together "
         "with the record-consistent sets."),
    Term("record-consistent", "record-consistent sets",
         "Values of what the record does touch (IRS throughput, set-up, match rates) that "
         "agree with the record's figures within their errors (history matching)."),
    Term("verdict", "verdict",
         "Settled: every set explored gives the answer's sign and a size within a quarter of "
         "it. Direction: the sign holds, the size does not. Depends: the sign changes, and "
         "the condition says when the answer holds."),
    Term("filing-response", "filers' response",
         "Filers who stop filing (and paying tax) because of the sharing as they perceive "
         "it. No change in filing has been published: its size is borrowed from other "
         "programmes and explored across its range."),
)


def glossary_rows() -> list[dict[str, str]]:
    return [{"anchor": f"g-{t.anchor}", "term": t.term, "meaning": t.meaning}
            for t in GLOSSARY]
