"""tanh and its first derivatives, and the graph of its 3rd derivative before and after simplify.

Every derivative here is a graph that `ad.grad` builds from the previous one (grad of grad of
...), evaluated on a grid of points in one go. Writes into --out:
  tanh_derivatives.png            tanh and its first --order derivatives on [-4, 4] (matplotlib)
  tanh_d3_graph.png               the graph of the 3rd derivative as `ad.grad` builds it
  tanh_d3_simplified_graph.png    the same graph after `ad.simplify`
Rendering the graphs needs the Graphviz `dot` program (e.g. `apt-get install graphviz`).

Run: python examples/tanh_derivatives.py --out tanh_plots [--order 6] [--points 200]
"""

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")  # files only: no window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import autodiff as ad  # noqa: E402


def tanh_derivatives(x: ad.Variable, order: int) -> list[ad.Node]:
    """[tanh(x), tanh'(x), ..., the order-th derivative], each the grad of the one before.

    tanh is elementwise, so the gradient of (the sum of) the k-th derivative is the (k+1)-th
    derivative at every point of the grid.
    """
    derivatives = [ad.tanh(x)]
    for _ in range(order):
        derivatives.append(ad.grad(derivatives[-1], x))
    return derivatives


def main(argv: list[str] | None = None) -> dict:
    """Run with command-line arguments `argv`; returns the graph sizes and the files written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("."), help="folder for the PNG files")
    parser.add_argument("--order", type=int, default=6, help="highest derivative to plot (at least 3)")
    parser.add_argument("--points", type=int, default=200, help="grid points on [-4, 4]")
    args = parser.parse_args(argv)
    if args.order < 3:
        parser.error("--order must be at least 3 (the 3rd derivative's graph is drawn)")
    if args.points < 2:
        parser.error("--points must be at least 2")
    args.out.mkdir(parents=True, exist_ok=True)

    grid = np.linspace(-4.0, 4.0, args.points)
    x = ad.Variable(grid, name="x")
    derivatives = tanh_derivatives(x, args.order)
    values = ad.eval(derivatives)

    columns = 4
    rows = -(-len(values) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 2.4 * rows), dpi=80, sharex=True, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(values):
            ax.set_visible(False)
            continue
        ax.plot(grid, values[k], color=f"C{k}")
        ax.set_title("tanh(x)" if k == 0 else f"derivative {k}", fontsize=10)
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.grid(alpha=0.3)
    fig.suptitle(f"tanh and its first {args.order} derivatives, each the grad of the one before")
    fig.tight_layout()
    fig.savefig(args.out / "tanh_derivatives.png")
    plt.close(fig)

    d3 = derivatives[3]
    simplified = ad.simplify(d3)
    error = float(np.max(np.abs(simplified() - d3())))
    ad.plot(d3, rankdir="LR").write(args.out / "tanh_d3_graph.png")
    ad.plot(simplified, rankdir="LR").write(args.out / "tanh_d3_simplified_graph.png")

    sizes = [ad.count_nodes(d) for d in derivatives]
    files = [args.out / name for name in ("tanh_derivatives.png", "tanh_d3_graph.png", "tanh_d3_simplified_graph.png")]
    for k, size in enumerate(sizes):
        print(f"order {k}: {size} nodes")
    print(f"3rd derivative: {sizes[3]} nodes, {ad.count_nodes(simplified)} after simplify (max difference {error:.2g})")
    print("wrote", ", ".join(str(f) for f in files))
    return {"sizes": sizes, "simplified_size": ad.count_nodes(simplified), "max_difference": error, "files": files}


if __name__ == "__main__":
    main()
