"""Charts for workshops: PNG for slides, SVG for print, both from the result tables. The
disclosures chart is defined once in Vega-Lite (`vega`), for the page, the files and the
report alike; the others are drawn with matplotlib.

Colours are the Okabe-Ito palette, which stays distinguishable with the common kinds
of colour blindness; every state also has its own hatch and every line its own dash,
so the charts survive a greyscale printer.

One module a family: `base` (style, palette, `Chart`), `run`, `after`, `compare`,
`sweep`, `sensitivity`, `explore`."""

from __future__ import annotations

from ..text import title_of  # noqa: F401
from .after import (  # noqa: F401
    after_figure,
    after_panel,
    has_after,
)
from .base import (  # noqa: F401
    CHART_FILES,
    DASHES,
    MAX_TITLE_LINES,
    OKABE_ITO,
    STYLE,
    Chart,
    figure_axes,
    png_bytes,
    rendered,
    rule_markers,
    small_multiples,
    styled,
    svg_text,
    thousands,
    wrap_title,
)
from .explore import exploration_charts, exploration_figure  # noqa: F401
from .compare import (  # noqa: F401
    comparison_charts,
    comparison_figure,
    comparison_figures,
)
from .run import (  # noqa: F401
    SET_ASIDE,
    Band,
    Panel,
    RunView,
    band_of,
    disclosure_figure,
    is_baseline,
    outcome_means,
    outcomes_figure,
    panel_of,
    run_charts,
    run_figures,
    view_of,
)
from .vega import VegaFigure, disclosures_spec, panel_spec  # noqa: F401
from .sensitivity import (  # noqa: F401
    tornado_figure,
)
from .sweep import (  # noqa: F401
    SWEEP_METRICS,
    sweep_figure,
)
