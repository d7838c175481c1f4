"""sle_car.redraw: figures.save_figure draws a plot twice (text-size check, then save); a
plain plotnine object does not survive that (issue 18 work-around, see the module)."""

from __future__ import annotations

import polars as pl
from PIL import Image
from plotnine import aes, facet_wrap, geom_point, ggplot

from sle_car.figures import COLUMN_MM, save_figure
from sle_car.redraw import redrawable


def test_a_redrawable_free_scale_plot_is_saved_at_its_final_size(tmp_path) -> None:
    d = pl.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 4.0, 9.0], "f": ["a", "a", "b"]})
    p = redrawable(ggplot(d, aes("x", "y")) + geom_point() + facet_wrap("f", scales="free_y"))
    paths = save_figure(p, "t", column="single", height_mm=60, out_dir=tmp_path, data_label="x")
    width_px = Image.open(paths["png"]).size[0]
    assert abs(width_px - COLUMN_MM["single"] / 25.4 * 300) <= 2  # 300 dpi at 85 mm
