"""Levers that mean what users think: the notice window matters, and each random
quantity has its own stream, so changing one parameter moves nothing else."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

import flowsim
from flowsim.experiments.sweep import parse_vary, sweep
from flowsim.model import Event, compile_plan, simulate

SCENARIOS = Path(__file__).parents[1] / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
NOTICE = SCENARIOS / "notice_from_mou.toml"


def test_a_longer_notice_window_never_blocks_a_smaller_share():
    """The court rules on relief a while after notice: a longer window lets more rulings
    come in time, so the share of files blocked never falls, and no window blocks none."""
    hours = "0,12,24,48,72,168"
    result = sweep(flowsim.load(NOTICE), [parse_vary(f"notice.0.hours={hours}")],
                   replications=60)
    means = result.stats.set_index(["notice.0.hours", "metric"])["mean"]
    shares = []
    for h in hours.split(","):
        blocked, sent = means[(h, "blocked_notice")], means[(h, "transferred")]
        shares.append(blocked / (blocked + sent))
    assert shares[0] == 0
    assert all(b >= a for a, b in zip(shares, shares[1:]))
    assert shares[-1] > shares[2] > 0


def per_request(scenario, replications=30):
    """For each replication: each request's matched records, review and sign-off days."""
    plan = compile_plan(scenario)
    rows = []
    for r in range(replications):
        result = simulate(plan, scenario.scenario.seed, r)
        at = defaultdict(dict)
        matched = {}
        for t, name, _, event, records in result.events:
            at[name][event] = t
            if event == Event.MATCHED:
                matched[name] = records
        # Durations as differences of clock times: equal to 1e-9 days, not to the bit.
        rows.append({name: (matched.get(name),
                            round(e.get(Event.ACCEPTED, 0) - e.get(Event.REVIEW_STARTED, 0), 9),
                            round(e.get(Event.SIGNED_OFF, 0) - e.get(Event.MATCHED, 0), 9))
                     for name, e in at.items()})
    return rows


def test_making_setup_random_changes_no_other_quantity():
    base = flowsim.load(BASELINE).scenario
    random_setup = flowsim.load(BASELINE, [
        'matching.setup_days={dist="uniform", low=20, high=20.23}']).scenario
    assert per_request(random_setup) == per_request(base)


def test_making_the_window_random_leaves_the_relief_decisions_alone():
    fixed = flowsim.load(NOTICE, ["notice.0.ruling_days=0"])
    random_window = fixed.with_overrides(['notice.0.hours={dist="uniform", low=20, high=28}'])
    a = flowsim.run(fixed, replications=100).metrics["blocked_notice"]
    b = flowsim.run(random_window, replications=100).metrics["blocked_notice"]
    assert 0 < (a > 0).sum() < 100
    assert (a == b).all()


def test_a_higher_tin_rate_never_matches_fewer_records_in_a_replication():
    counts = [flowsim.run(flowsim.load(BASELINE, [f"matching.tin_rate={rate}"]),
                          replications=60).metrics["transferred_tin_path"]
              for rate in (0.02, 0.0332812, 0.0333, 0.05)]
    for low, high in zip(counts, counts[1:]):
        assert (high >= low).all()
    assert (counts[-1] > counts[0]).all()


def test_paired_differences_of_a_narrow_change_are_narrow():
    """A what-if that moves one quantity a little differs from the baseline, replication
    by replication, by about that little: the pairing holds."""
    base = flowsim.load(BASELINE)
    nudged = base.with_overrides(["matching.tin_rate=0.0333"])
    a = flowsim.run(base, replications=100).metrics["transferred"]
    b = flowsim.run(nudged, replications=100).metrics["transferred"]
    diff = b - a
    assert diff.min() >= 0
    assert np.std(diff) < 0.1 * np.std(a)


# -- a notice rule says what a ruling can do, and a list says what it drops ---------------

# The README and the documentation's pages, whose examples are run here.
DOC_PAGES = [Path(__file__).parents[1] / "README.md",
             *sorted((Path(__file__).parents[1] / "docs").rglob("*.md"))]
DELAY_ONLY = ('extends = "baseline.toml"\n[scenario]\nname = "n48"\n[[notice]]\n'
              'from = 2025-07-01\nhours = 48\nmin_records = 10_000\n')


def doc_toml_blocks() -> list[str]:
    import re

    return [block for page in DOC_PAGES
            for block in re.findall(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), re.S)]


def tutorial_files() -> dict[str, str]:
    """The scenario files the documentation asks a reader to write: a block whose first
    line is a comment naming its path (`# scenarios/my_notice_72h.toml`)."""
    import re

    return {m.group(1): block for block in doc_toml_blocks()
            if (m := re.match(r"# (scenarios/[\w-]+\.toml)\n", block))}


def library_copy(tmp_path: Path) -> Path:
    import shutil

    for path in SCENARIOS.glob("*.toml"):
        shutil.copy(path, tmp_path)
    return tmp_path


def test_a_notice_rule_that_gives_neither_grant_nor_relief_is_refused(tmp_path, capsys):
    from flowsim import cli

    path = library_copy(tmp_path) / "n48.toml"
    path.write_text(DELAY_ONLY, encoding="utf-8")
    for command in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "o")]):
        assert cli.main(command) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "notice.0.grant: say what a ruling can do" in err
        assert "grant = 0 makes the rule a delay only" in err
    assert not (tmp_path / "o").exists()


def test_every_toml_block_of_the_docs_reads_and_each_scenario_validates(tmp_path):
    import tomllib

    blocks = doc_toml_blocks()
    assert len(blocks) >= 3
    folder = library_copy(tmp_path)
    for n, block in enumerate(blocks):
        tomllib.loads(block)
        if "extends" in block:
            path = folder / f"readme_{n}.toml"
            path.write_text(block, encoding="utf-8")
            flowsim.load(path)


def test_the_tutorials_added_rule_blocks_and_keeps_the_parents(tmp_path, capsys):
    """The tutorial's second what-if adds a 48-hour rule for large files from July 1 and
    keeps the baseline's: the June 27 file, ready on 2025-08-07, is blocked in some
    histories, and nothing is said to be dropped."""
    from flowsim import cli

    block = next(b for b in doc_toml_blocks() if "notice_48h_large_files" in b)
    path = library_copy(tmp_path) / "added.toml"
    path.write_text(block, encoding="utf-8")
    loaded = flowsim.load(path)
    assert loaded.dropped == () and len(loaded.scenario.notice) == 2
    result = flowsim.run(loaded, replications=40)
    blocked = result.stats.set_index("metric").loc["blocked_notice", "mean"]
    assert blocked > 0
    assert cli.main(["validate", str(path)]) == 0 and "note:" not in capsys.readouterr().err


def test_a_list_that_drops_inherited_items_says_which(tmp_path, capsys):
    from flowsim import cli

    path = library_copy(tmp_path) / "n48.toml"
    path.write_text(DELAY_ONLY + "grant = 0.5\n", encoding="utf-8")
    assert cli.main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "n48.toml replaces the notice list of baseline.toml: it drops { from = 2025-09-05, " \
        "hours = 24" in err and "List them again in n48.toml to keep them" in err
    assert cli.main(["explain", str(path)]) == 0
    assert "replaces the notice list" in capsys.readouterr().err


def test_explain_states_what_the_court_does():
    from flowsim.outputs.explain import timeline

    loaded = flowsim.load(SCENARIOS / "notice_72h.toml", ["notice.0.grant=0.9"])
    (sentence,) = [what for _, what in timeline(loaded.scenario) if "notice rule" in what]
    assert sentence.startswith("notice rule 1 in force")
    assert "grants relief with probability 0.9" in sentence
    assert "1.38 days after notice on average" in sentence
    delay = flowsim.load(SCENARIOS / "notice_72h.toml", ["notice.0.grant=0"]).scenario
    assert any("a delay only" in what for _, what in timeline(delay))


def test_the_tutorials_first_what_if_blocks_as_it_says(tmp_path):
    """The tutorial's first what-if, a 72-hour window with a court that grants half
    the time, blocks files in some histories: it is not a rule that silently does nothing."""
    block = next(b for b in doc_toml_blocks() if 'name = "my_notice_72h"' in b)
    path = library_copy(tmp_path) / "readme_notice.toml"
    path.write_text(block, encoding="utf-8")
    stats = flowsim.run(flowsim.load(path), replications=40).stats.set_index("metric")
    assert stats.loc["blocked_notice", "mean"] > 0
    assert stats.loc["transferred", "mean"] < 47_289


def doc_command_lines() -> list[list[str]]:
    """Each `flowsim` command of the README's and the documentation's shell blocks, continuation lines joined and
    comments left out, as its words."""
    import re
    import shlex

    lines = []
    blocks = [b for page in DOC_PAGES
              for b in re.findall(r"```sh\n(.*?)```", page.read_text(encoding="utf-8"), re.S)]
    for block in blocks:
        for command in block.replace("\\\n", " ").splitlines():
            words = shlex.split(command, comments=True)
            # `a && b && flowsim ...`: the flowsim part.
            while "&&" in words:
                words = words[words.index("&&") + 1:]
            if words and Path(words[0]).name == "flowsim":
                lines.append(words[1:])
    return lines


def test_every_flowsim_command_of_the_docs_parses_and_names_files_that_exist():
    """The documentation's command lines are the CLI's: each parses, and each scenario file it
    names (or a pattern it gives) is in the checkout."""
    from flowsim.cli import build_parser

    commands = doc_command_lines()
    assert len(commands) >= 8
    parser = build_parser()
    written = tutorial_files()
    for words in commands:
        parser.parse_args(words)  # exits (fails the test) on an unknown option
        for word in words:
            if word.endswith(".toml") and word not in written:
                assert list(SCENARIOS.parent.glob(word)), f"{word} of `flowsim {' '.join(words)}`"


def test_the_docs_report_reads_the_folder_its_compare_writes(tmp_path, monkeypatch):
    """The first `flowsim compare` before a `flowsim report` in the documentation writes the folder that
    report reads, and the report is made (a short run: two replications)."""
    import shutil

    from flowsim import cli

    shutil.copytree(SCENARIOS, tmp_path / "scenarios")
    for name, block in tutorial_files().items():
        (tmp_path / name).write_text(block, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    commands = doc_command_lines()
    at = next(i for i, w in enumerate(commands) if w[0] == "report")
    compare = next(w for w in reversed(commands[:at]) if w[0] == "compare")
    assert cli.main([*compare, "-n", "2", "--no-charts", "-q"]) == 0
    assert cli.main(commands[at]) == 0
    assert (tmp_path / commands[at][commands[at].index("-o") + 1]).stat().st_size > 0


def test_the_docs_explore_command_asks_the_whole_library():
    library = {p.name for p in SCENARIOS.glob("*.toml")}
    asked = [{Path(w).name for w in words if w.endswith(".toml")}
             for words in doc_command_lines() if words[0] == "explore"]
    assert library in asked
