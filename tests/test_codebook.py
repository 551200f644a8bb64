"""The questionnaire codebook loads, and a broken one fails naming the place."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analysis.core.paths import params_dir
from analysis.instrument.codebook import CodebookError, load_codebook


def test_codebook_shape(codebook) -> None:
    assert [p.name_en for p in codebook.pillars] == [
        "Policy and governance", "Public services", "Internal processes and back office",
        "Data and open government", "Digital workforce", "Infrastructure, security and smart technology",
    ]
    assert len(codebook.items) >= 60
    for p in codebook.pillars:
        assert 3 <= len(p.indicators) <= 4
        for ind in p.indicators:
            assert 2 <= len(ind.items) <= 4
    types = {it.type for it in codebook.items}
    assert types == {"yes_no", "multi_select", "maturity", "likert", "count", "percent"}
    table = codebook.items_table()
    assert table["weight_overall"].sum() == pytest.approx(1.0, abs=1e-12)
    assert table.groupby("pillar")["weight_in_pillar"].sum().to_numpy() == pytest.approx([1.0] * 6)


def test_bands_table(codebook) -> None:
    bands = codebook.bands_table()
    assert bands["lower"].tolist() == [0, 25, 50, 75]
    assert bands["upper"].tolist() == [25, 50, 75, 100]


def _broken(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load((params_dir() / "questionnaire.yaml").read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "questionnaire.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _item(raw, pillar=1, indicator=0, item=0):
    return raw["pillars"][pillar]["indicators"][indicator]["items"][item]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda r: _item(r).__setitem__("wieght", 1),
         r"pillars\[P2\] > indicators\[P2.1\] > items\[p2_1_1\] > wieght: unknown key"),
        (lambda r: _item(r, item=1).__setitem__("id", _item(r)["id"]), r"duplicate item id 'p2_1_1'"),
        (lambda r: _item(r).__setitem__("weight", "1/7"),
         r"pillars\[P2\] > indicators\[P2.1\] > items: weights sum to"),
        (lambda r: r["pillars"][0].__setitem__("weight", "1/5"), r"pillars: weights sum to 31/30"),
        (lambda r: _item(r).__setitem__("type", "rating"), r"items\[p2_1_1\] > type: 'rating'"),
        (lambda r: _item(r).__setitem__("scoring", "share_selected"), r"items\[p2_1_1\]: .*must use scoring"),
        (lambda r: _item(r).pop("text_th"), r"items\[p2_1_1\] > text_th: Field required"),
        (lambda r: r["bands"][2].__setitem__("min", 10), r"bands must start at min 0 and rise"),
    ],
    ids=["typo", "duplicate-id", "item-weights", "pillar-weights", "unknown-type", "wrong-scoring",
         "missing-text", "bands-order"],
)
def test_broken_codebook_names_the_place(tmp_path: Path, edit, expected: str) -> None:
    path = _broken(tmp_path, edit)
    with pytest.raises(CodebookError, match=expected) as err:
        load_codebook(path)
    assert str(path) in str(err.value)


def test_option_label_with_delimiter_rejected(tmp_path: Path, codebook) -> None:
    ms = next(it for it in codebook.items if it.type == "multi_select")

    def edit(raw):
        for p in raw["pillars"]:
            for ind in p["indicators"]:
                for it in ind["items"]:
                    if it["id"] == ms.id:
                        it["options"][0]["label_en"] = "a, b"

    with pytest.raises(CodebookError, match="must not contain the answer delimiters"):
        load_codebook(_broken(tmp_path, edit))


def test_missing_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="not found"):
        load_codebook(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("pillars: [\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="not valid YAML"):
        load_codebook(bad)
