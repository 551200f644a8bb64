# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
outputs = "outputs"

# %% tags=["remove-input"]
from IPython.display import HTML, Markdown, display

from analysis.core.paths import resolve
from analysis.instrument.codebook import load_codebook
from analysis.report import charts, national

charts.use_thai_font()
cb = load_codebook()
t = national.load_overview(resolve(outputs))
p = t["province_scores"]
bt = cb.bands_table()
nat = t["aggregates"].query("level == 'national'").iloc[0]
counts = p["band"].value_counts().reindex(bt["band"], fill_value=0)
cov = national.coverage(p)
missing = ("" if not cov["missing_en"] else
           "\n\nจังหวัดที่ยังไม่มีข้อมูล · Provinces without data: "
           + ", ".join(f"{th} · {en}" for th, en in zip(cov["missing_th"], cov["missing_en"], strict=True)))
display(Markdown(
    "# ความพร้อมรัฐบาลดิจิทัลของหน่วยงานระดับจังหวัด · Digital Government Readiness of Provincial Agencies\n\n"
    f"หน่วยงาน {int(nat['n_agencies'])} แห่งใน {cov['with_data']} จาก {cov['surveyed']} จังหวัดตอบแบบสำรวจที่ใช้ได้ "
    f"ค่าเฉลี่ยดัชนีของประเทศคือ **{nat['index']:.1f}** คะแนน "
    f"(ช่วงความเชื่อมั่น 95%: {national.interval_text(nat['index_low'], nat['index_high'], 'th')}) · "
    f"{int(nat['n_agencies'])} agencies in {cov['with_data']} of the {cov['surveyed']} provinces returned usable "
    f"responses; the national mean index is **{nat['index']:.1f}** "
    f"(95 % interval {national.interval_text(nat['index_low'], nat['index_high'], 'en')}).{missing}\n\n"
    "จำนวนจังหวัดในแต่ละระดับ · Provinces per band: "
    + ", ".join(f"{r.name_th} / {r.name_en} **{counts[r.band]}**" for r in bt.itertuples())
    + "\n\nรายงานรายจังหวัดอยู่ในตารางท้ายหน้า · Each province's report is linked from the table at the end."))

# %% tags=["remove-input"]
display(Markdown("## แผนที่ · Map\n\nแต่ละช่องคือหนึ่งจังหวัด จัดวางตามตำแหน่งโดยประมาณ · "
                 "Each square is one province, placed roughly where it lies."))
display(HTML(charts.figure_html(charts.tile_map(p, national.load_tiles(), bt),
                                "แผนที่ช่องสี่เหลี่ยมของจังหวัด สีตามระดับความพร้อม · Tile map of the provinces "
                                "coloured by readiness band (values in the table at the end)")))

# %% tags=["remove-input"]
display(Markdown(
    "## ทุกจังหวัดพร้อมช่วงความเชื่อมั่น · Every province with its interval\n\n"
    "ช่วงที่ซ้อนทับกันหมายความว่ายังแยกไม่ออกว่าจังหวัดใดพร้อมกว่า · Overlapping intervals mean the data "
    "cannot tell those provinces apart."))
display(HTML(charts.figure_html(charts.caterpillar_html(p, bt),
                                "ดัชนีของทุกจังหวัดเรียงจากมากไปน้อยพร้อมช่วงความเชื่อมั่น · Every province's index, "
                                "highest first, with its 95 % interval")))

# %% tags=["remove-input"]
display(Markdown("## ภาค · Regions"))
display(HTML(charts.figure_html(charts.regions_strip(p), "ดัชนีของจังหวัดจำแนกตามภาค · Province indices by region, "
                                "with each region's mean")))

# %% tags=["remove-input"]
display(Markdown(
    "## ความไม่แน่นอนของอันดับ · How certain are the ranks?\n\n"
    "เส้นสีเทา: ช่วงอันดับจากความคลาดเคลื่อนของการสำรวจ (90%); เส้นสีส้มแดง: ช่วงอันดับเมื่อเปลี่ยนวิธีคำนวณดัชนี (5–95%) · "
    "Grey: the rank's 90 % interval from sampling uncertainty; vermilion: its 5-95 % band over modelling choices "
    "(normalisation, aggregation, weights, missing items). Quote ranks with their band."))
display(HTML(charts.figure_html(charts.rank_bands_html(p), "อันดับและช่วงอันดับของทุกจังหวัด · Every province's rank "
                                "with its sampling and modelling-choice bands")))

# %% tags=["remove-input"]
display(Markdown("ดัชนี Sobol ของแต่ละทางเลือก (ผลต่ออันดับ) · Sobol indices of each modelling choice on the ranks:"))
display(HTML(national.sobol_html(t["sobol"])))

# %% tags=["remove-input"]
display(Markdown(
    "## ความน่าเชื่อถือของเครื่องมือ · Reliability of the instrument\n\n"
    "เกณฑ์: Nunnally (1978), Flora (2020), Kaiser (1974), Hu & Bentler (1999) · Thresholds as cited."))
display(HTML(national.reliability_summary(t).to_html(index=False)))

# %% tags=["remove-input"]
display(Markdown("## ทุกจังหวัด · All provinces\n\nคลิกหัวตารางเพื่อเรียง · Click a header to sort."))
band_names = {r.band: (r.name_th, r.name_en) for r in bt.itertuples()}
display(HTML(national.province_table_html(p, band_names)))
