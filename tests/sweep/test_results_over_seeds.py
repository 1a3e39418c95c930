"""`mlplab results` also writes each OVER_SEEDS experiment's table over seeds."""

from mlplab import results


def test_results_page_has_the_over_seeds_table(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "OVER_SEEDS", {"xor": (range(3), 2)})
    out = results.write_results(tmp_path / "experiments.md", tmp_path / "runs", names=["xor"])
    text = out.read_text()
    assert "## Over seeds" in text
    section = text.split("## Over seeds", 1)[1]
    assert "### xor over seeds 0-2" in section
    assert "`mlplab run xor --epochs 2 --seeds 0-2`" in section
    # one row per model of the experiment, each counted over the three seeds
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    models = [m["name"] for m in results.load_experiment("xor").models]
    assert [r.split(" | ")[0].lstrip("| ") for r in rows] == models
    assert all(r.split(" | ")[1] == "3" for r in rows)


def test_no_seeds_leaves_the_section_out(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "OVER_SEEDS", {"xor": (range(2), 1)})
    out = results.write_results(tmp_path / "e.md", tmp_path / "runs", names=["xor"],
                                seeds=False)
    assert "Over seeds" not in out.read_text()
