"""Pictures of graphs: DOT text, graphviz plots, and a self-contained interactive HTML page.

`to_dot` writes a graph (forward or derivative) as DOT text and needs nothing installed;
`plot` returns a `graphviz.Digraph` that shows inline in Jupyter as SVG and writes
png/svg/pdf with the Graphviz `dot` program; `plot_html` writes ONE offline HTML file to pan,
zoom, search and click through a graph. All three draw the same picture: op nodes show the op
and its output shape; Variables (blue ellipses), constants (grey, dashed) and derivative nodes
(orange: first built by `ad.grad`) look different; `ad.name_scope` scopes (modules) are
nested clusters that can be collapsed to one box; constants can be hidden; and big graphs are
cut at `max_nodes`, keeping the nodes nearest the outputs and saying what was cut.

Pictures name things: a `nn.Module`'s parameters are drawn in its cluster with their dotted
names (``layers.0.weight``); outputs given as a dict ``{label: node}`` show their labels;
library compositions (softmax, the losses, layer norm: `autodiff.node.composition`) are
clusters of their own, collapsed to one box unless ``collapse_library=False``.

`view` decides what is drawn, `style` how a node looks, `dot` writes DOT and graphviz plots,
`layout` places the page's boxes and `page` writes the page from the package data files
``page.html``, ``page.css`` and ``page.js``.
"""

from .dot import GraphPlot, GraphvizNotFoundError, plot, to_dot
from .page import plot_html

__all__ = ["GraphPlot", "GraphvizNotFoundError", "plot", "plot_html", "to_dot"]
