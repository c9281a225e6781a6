"""The sourced data files: every fact loads, has a unit and a status, and cites the bibliography."""

import datetime as dt

import pytest
from conftest import ROOT
from tinyseek import data

BIB = ROOT / "book" / "references.bib"
GOOD = "unit: W\n  source: s\n  status: primary\n"


def write(tmp_path, text, name="x.yaml"):
    (tmp_path / name).write_text(text)
    data.load_all.cache_clear()
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_cache():
    data.load_all.cache_clear()
    yield
    data.load_all.cache_clear()


def test_all_shipped_data_loads_and_cites_known_sources():
    facts = data.load_all()
    assert len(facts) > 30
    data.check_sources(BIB)


def test_every_bib_entry_is_cited_by_data_or_a_chapter():
    cited = {s for f in data.load_all().values() for s in f.sources}
    text = "".join(p.read_text() for p in (ROOT / "book").glob("*.ipynb"))
    text += "".join(p.read_text() for p in (ROOT / "book").glob("*.md"))
    unused = sorted(k for k in data.bib_keys(BIB) if k not in cited and k not in text)
    assert not unused, f"bibliography entries nobody cites: {unused}"


def test_v3_table1_inputs_are_the_report_figures():
    assert data.value("v3_pretrain_gpu_hours") == 2_664_000
    assert data.fact("v3_pretrain_gpu_hours").source == "deepseekv3"
    assert data.value("r1_release_date") == dt.date(2025, 1, 20)


def test_scientific_notation_is_a_number_not_text(tmp_path):
    facts = data.load_all(write(tmp_path, f"big:\n  value: 2.6e6\n  {GOOD}"))
    assert facts["big"].value == 2.6e6


def test_unknown_fact_names_close_matches():
    with pytest.raises(KeyError, match="v3_pretrain_gpu_hours"):
        data.fact("v3_pretrain_gpu_hour")


@pytest.mark.parametrize("entry, message", [
    ("value: 1\n  source: s\n  status: primary\n", "missing field.*unit"),
    ("value: 1\n  unit: W\n  status: primary\n", "missing 'source'"),
    ("value: 1\n  unit: W\n  source: s\n  status: rumour\n", "status 'rumour'"),
    ("value: 1\n  unit: W\n  source: s\n  status: primary\n  colour: red\n", "unknown field"),
    ("value: .nan\n  " + GOOD, "finite"),
    ("value: '2.5e9'\n  " + GOOD, "read as text"),
    ("value: 1\n  unit: ''\n  source: s\n  status: primary\n", "unit must be non-empty"),
    ("values: [{value: 1, source: a}]\n  unit: W\n  status: conflict\n", "two or more"),
    ("values: [{value: 1, source: a}, {value: 2}]\n  unit: W\n  status: conflict\n", "needs 'value' and 'source'"),
])
def test_malformed_entries_name_the_file_and_entry(tmp_path, entry, message):
    write(tmp_path, f"bad_entry:\n  {entry}", name="broken.yaml")
    with pytest.raises(data.DataError, match=message) as err:
        data.load_all(tmp_path)
    assert "broken.yaml" in str(err.value) and "bad_entry" in str(err.value)


def test_duplicate_keys_across_files_are_refused(tmp_path):
    write(tmp_path, f"k:\n  value: 1\n  {GOOD}", "a.yaml")
    write(tmp_path, f"k:\n  value: 2\n  {GOOD}", "b.yaml")
    with pytest.raises(data.DataError, match="also in a.yaml"):
        data.load_all(tmp_path)


def test_conflicts_keep_every_value_and_refuse_a_single_one(tmp_path):
    facts = data.load_all(write(tmp_path, "close:\n  unit: USD\n  status: conflict\n  values:\n"
                                          "    - {value: 118.58, source: a}\n"
                                          "    - {value: 118.42, source: b}\n"))
    close = facts["close"]
    assert close.range == (118.42, 118.58) and close.sources == ("a", "b")
    with pytest.raises(ValueError, match="in conflict"):
        _ = close.value


def test_assumptions_need_a_reason_and_no_source(tmp_path):
    facts = data.load_all(write(tmp_path, "share:\n  value: 0.1\n  unit: '1'\n  status: assumption\n"
                                          "  note: varied in Chapter 8\n"))
    assert facts["share"].sources == ()
    for bad, message in [("  note: ''\n", "needs a 'note'"), ("  source: s\n  note: x\n", "has no source")]:
        write(tmp_path, "share:\n  value: 0.1\n  unit: '1'\n  status: assumption\n" + bad)
        with pytest.raises(data.DataError, match=message):
            data.load_all(tmp_path)


def test_groups_flatten_to_dotted_keys(tmp_path):
    facts = data.load_all(write(tmp_path, "h800:\n  tdp_w: {value: 700, unit: W, source: s, status: primary}\n"))
    assert facts["h800.tdp_w"].value == 700


def test_missing_bib_source_is_named(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text("@misc{known,\n title={x}\n}\n")
    facts = data.load_all(write(tmp_path, f"k:\n  value: 1\n  {GOOD}"))
    with pytest.raises(data.DataError, match="x.yaml: entry 'k' cites 's'"):
        data.check_sources(bib, facts)
