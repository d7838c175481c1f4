"""A plot that can be drawn more than once (work-around for ``figures.save_figure``).

``sle_car.figures.save_figure`` draws a plot to check its text sizes and then saves the same
``ggplot`` object, which draws it again. plotnine 0.15 keeps the facet layout of the first
draw on the object, so a plot with free facet scales (``facet_wrap``/``facet_grid`` with
``scales="free_y"`` or ``"free_x"``) fails on the second draw with ``IndexError: list index out
of range`` (plotnine ``layout.get_scales``). :func:`redrawable` wraps a plot so that every draw
works on a fresh copy. The lasting fix is one line in ``save_figure``
(``figure = copy.deepcopy(plot).draw()``); this module exists because that file belongs to
another change."""

from __future__ import annotations

import copy

from plotnine import ggplot


class _Redrawable(ggplot):
    """A ``ggplot`` whose ``draw`` draws a deep copy, leaving the object as it was."""

    def draw(self, *args, **kwargs):  # type: ignore[override]
        return ggplot.draw(copy.deepcopy(self), *args, **kwargs)


def redrawable(plot: ggplot) -> ggplot:
    """``plot`` as a ggplot that can be drawn (and saved) any number of times; adding layers,
    scales or themes to it keeps that property."""
    out = copy.deepcopy(plot)
    out.__class__ = _Redrawable
    return out
