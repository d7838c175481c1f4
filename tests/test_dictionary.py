"""The data dictionary is generated from the schemas and documents every variable."""

from __future__ import annotations

from data_schemas import ANALYSIS_DATASETS, RAW_DOMAINS
from data_schemas import codelists as cl
from sle_car.dictionary import data_dictionary


def test_every_variable_is_documented_with_a_description() -> None:
    text = data_dictionary()
    for models in (RAW_DOMAINS, ANALYSIS_DATASETS):
        for model in models.values():
            for name, col in model.to_schema().columns.items():
                assert col.description, f"{model.Config.name}.{name} has no description"
                assert f"| `{name}` |" in text


def test_units_and_sponsor_codes_appear() -> None:
    text = data_dictionary()
    assert "| `WEIGHTBL` | Float64 | Weight at baseline | kg |" in text
    assert "| `LOWCOMP` | Low complement | 2 |" in text
    assert "| `FAC07007` | An5 | I have energy | no |" in text
    assert len(cl.SLEDAI_ITEMS) == 24
    assert sum(w for _, w in cl.SLEDAI_ITEMS.values()) == 105  # Gladman 2002 maximum
    assert sum(m for _, m in cl.SDI_ITEMS.values()) == 47  # instruments.md §7
    assert sum(reverse for _, _, reverse in cl.FACIT_ITEMS.values()) == 11


def test_committed_dictionary_is_current() -> None:
    from sle_car.paths import reports_dir

    committed = (reports_dir() / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(), (
        "run `sle-car dictionary --out reports/data-dictionary.md`"
    )
