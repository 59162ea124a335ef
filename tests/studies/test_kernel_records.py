"""Every stored trial says what code computed its activations, and the report shows it."""

from __future__ import annotations

import json
import sqlite3

from actlab.report.study_report import kernel_rows
from actlab.studies import load_study_results


def test_the_store_keeps_each_sites_implementation(quick_study_dir):
    folder, _ = quick_study_dir
    db = sqlite3.connect(folder / "results.sqlite")
    rows = db.execute("SELECT activation, result FROM trials WHERE status = 'finished'")
    kernels = {activation: json.loads(result)["kernels"] for activation, result in rows}
    db.close()
    assert set(kernels) == {"relu", "tanh"}
    for activation, records in kernels.items():
        # The quick study's MLP: two hidden layers, one activation site each.
        assert [(k["activation"], k["implementation"], k["compile"]) for k in records] == [
            (activation, "native", "eager")] * 2, activation
        assert len({k["site"] for k in records}) == 2


def test_the_report_states_the_code_that_ran(quick_study_dir):
    folder, _ = quick_study_dir
    assert kernel_rows(load_study_results(folder)) == [
        ("code that ran", "relu: native; tanh: native")]
    assert "| code that ran | relu: native; tanh: native |" in (folder / "report.md").read_text()
    assert "<th>code that ran</th><td>relu: native; tanh: native</td>" in (
        folder / "report.html").read_text()
