"""The analyst's report: one self-contained HTML file plus PNG plots beside it.

The HTML needs no network: styles, script and data are inline, and the plots are
embedded as data URIs as well as written next to it. Node positions are a seeded
networkx spring layout computed here, so the page only draws. Every text from the
corpus is escaped: server-side with :func:`html.escape`, inside the page's JSON by
escaping ``<``, ``>`` and ``&``, and the script only ever sets ``textContent``.
"""

from __future__ import annotations

import base64
import html
import importlib
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import orjson

from graph_builder import analysis, linkpred, views
from graph_builder.analysis import atomic_write_bytes, atomic_write_text
from graph_builder.export import TYPE_COLOURS
from graph_builder.gcpause import gc_paused
from graph_builder.model import GraphData

if TYPE_CHECKING:
    from graph_builder.ontology import Ontology

TABLE_COLUMNS = ("degree", "betweenness", "closeness", "eigenvector", "pagerank")
# Most entities the network drawing shows (see drawn_graph).
MAX_DRAWN_NODES = 1500
# Imported where they are used (the plots, the layout); loaded ahead by prepare_report.
LAZY_MODULES = ("matplotlib.figure", "scipy.optimize")


def event_timeline(
    data: GraphData, *, min_modality: str = "alleged", as_of: str | None = None
) -> list[dict[str, Any]]:
    """Events by date with who or what they involve.

    Each row: ``date`` (earliest dated support of a relation touching the event, "" if
    none), ``id``, ``name`` and ``involved`` ("name (predicate)" strings), sorted by date.

    Examples
    --------
    >>> from graph_builder.model import Entity, Relation, Support
    >>> ents = {"p": Entity("p", "Ali", "Person"), "v": Entity("v", "Raid", "Event")}
    >>> s = Support("s", "d", "Ali died in the raid.", "asserted", 0.9, date="2015-07-29")
    >>> event_timeline(GraphData(ents, (Relation("p", "killed_in", "v", (s,)),), {}))
    [{'date': '2015-07-29', 'id': 'v', 'name': 'Raid', 'involved': ['Ali (killed_in)']}]
    """
    is_event = {i for i, e in data.entities.items() if e.type == "Event"}
    events: dict[str, dict[str, Any]] = {}
    for fact in views.filtered_relations(data, min_modality=min_modality, as_of=as_of):
        rel = fact.relation
        if rel.object_id not in is_event and rel.subject_id not in is_event:
            continue  # most ties (a set lookup each, not two entity lookups)
        for end, other in ((rel.object_id, rel.subject_id), (rel.subject_id, rel.object_id)):
            if end not in is_event:
                continue
            entry = events.setdefault(end, {"dates": set(), "involved": set()})
            entry["dates"].update(fact.dates)
            entry["involved"].add(f"{data.entities[other].name} ({rel.predicate})")
    rows = []
    for event_id, entry in events.items():
        dates = sorted(entry["dates"])
        rows.append(
            {
                "date": dates[0] if dates else "",
                "id": event_id,
                "name": data.entities[event_id].name,
                "involved": sorted(entry["involved"]),
            }
        )
    return sorted(rows, key=lambda e: (e["date"] or "9999", e["name"]))


def layout(G: nx.Graph, seed: int = 42) -> dict[Any, tuple[float, float]]:
    """Seeded spring layout in the SVG viewBox [0, 1000] x [0, 700].

    Connected entities fill the upper part; isolated ones (known, but with no tie under
    the current filters) line up along the bottom instead of crowding the drawing.
    """
    if len(G) == 0:
        return {}
    isolated = sorted((n for n in G if G.degree(n) == 0), key=str)
    core = _induced_in_order(G, {n for n in G if G.degree(n) > 0})
    height = 700 - (60 if isolated else 0)
    out: dict[Any, tuple[float, float]] = {}
    if len(core):
        # Above a few hundred nodes each iteration costs seconds; fewer still give a usable
        # picture, and the report must not dominate a rebuild.
        iterations = 200 if len(core) <= 300 else 30
        k = 2.0 / len(core) ** 0.5
        if len(core) >= _ENERGY_MIN_NODES:
            pos = energy_layout(core, seed=seed, k=k, iterations=iterations)
        else:
            pos = nx.spring_layout(core, seed=seed, k=k, iterations=iterations)
        xs = [float(p[0]) for p in pos.values()]
        ys = [float(p[1]) for p in pos.values()]
        (x0, x1), (y0, y1) = (min(xs), max(xs)), (min(ys), max(ys))

        def scale(v: float, lo: float, hi: float, size: float) -> float:
            return round(30 + (size - 60) * ((v - lo) / (hi - lo) if hi > lo else 0.5), 2)

        out = {
            n: (scale(float(p[0]), x0, x1, 1000), scale(float(p[1]), y0, y1, height))
            for n, p in pos.items()
        }
    per_row = 60
    for i, n in enumerate(isolated):
        row, col = divmod(i, per_row)
        out[n] = (round(20 + col * 960 / per_row, 2), round(660 + 14 * row, 2))
    return out


# From this many nodes networkx's spring_layout uses its energy method (see energy_layout).
_ENERGY_MIN_NODES = 500
# Rows of the distance matrix networkx's energy method computes at once.
_ENERGY_BATCH = 500


def energy_layout(G: nx.Graph, *, seed: int, k: float, iterations: int) -> dict[Any, Any]:
    """``nx.spring_layout(G, seed=seed, k=k, iterations=iterations)`` for graphs of at
    least :data:`_ENERGY_MIN_NODES` nodes (networkx 3.6's energy-based Fruchterman-
    Reingold, minimised by L-BFGS-B), with the same positions to the last bit.

    The energy and its gradient are computed as networkx computes them, except that
    squared distances are ``dx * dx + dy * dy`` (networkx's sums over an axis of length 2
    give those same floats, slowly) and the gradient's sums over the other nodes are
    :func:`_row_sums_of_products` (einsum's sums, without its length-2 inner loops): the
    layout, the slowest part of the report, takes about a third of networkx's time.
    """
    import scipy as sp

    A = nx.to_scipy_sparse_array(G, weight="weight", dtype="f")
    nnodes = A.shape[0]
    start = np.asarray(np.random.RandomState(seed).rand(nnodes, 2), dtype=A.dtype)
    A = A.tocsr()
    A = np.abs(A)
    A = (A + A.T) / 2
    n_components, labels = sp.sparse.csgraph.connected_components(A, directed=False)
    bincount = np.bincount(labels)
    unique = A.format == "csr" and A.has_canonical_format  # each pair stored once
    workspaces: dict[Any, dict[str, Any]] = {}  # by dtype: L-BFGS-B starts from float32

    def cost_and_gradient(x: Any) -> tuple[float, Any]:
        pos = x.reshape((nnodes, 2))
        if x.dtype not in workspaces:  # reused: fresh big arrays cost page faults each time
            workspaces[x.dtype] = _workspace(x.dtype, min(_ENERGY_BATCH, nnodes), nnodes)
        work = workspaces[x.dtype]
        xs, ys = np.ascontiguousarray(pos[:, 0]), np.ascontiguousarray(pos[:, 1])
        grad = np.zeros((nnodes, 2))
        cost = 0.0
        for lo in range(0, nnodes, _ENERGY_BATCH):
            hi = min(lo + _ENERGY_BATCH, nnodes)
            m = hi - lo
            # networkx's delta[..., 0] and delta[..., 1]: the same subtractions
            dx = np.subtract(xs[lo:hi, None], xs[None, :], out=work["dx"][:m])
            dy = np.subtract(ys[lo:hi, None], ys[None, :], out=work["dy"][:m])
            # What summing delta * delta over its last axis gives: dx * dx + dy * dy.
            distance2 = np.multiply(dx, dx, out=work["distance2"][:m])
            distance2 += np.multiply(dy, dy, out=work["dy2"][:m])
            np.maximum(distance2, 1e-10, out=distance2)
            distance = np.sqrt(distance2, out=work["distance"][:m])
            Ad = A[lo:hi] * distance
            attraction = _attraction(Ad, k, distance2, unique, work["repulsion"][:m])
            # networkx: 2 * np.einsum("ij,ijk->ik", attraction, delta)
            for axis, d in enumerate((dx, dy)):
                grad[lo:hi, axis] = 2 * _row_sums_of_products(attraction, d, work)
            cost += np.sum(Ad * distance2) / (3 * k)
            cost -= k**2 * np.sum(np.log(distance, out=work["log"][:m]))
        centers = np.zeros((n_components, 2))
        np.add.at(centers, labels, pos)
        delta0 = centers / bincount[:, np.newaxis] - 0.5
        grad += 1.0 * delta0[labels]  # gravity 1
        cost += 1.0 * 0.5 * np.sum(bincount * np.linalg.norm(delta0, axis=1) ** 2)
        return cost, grad.ravel()

    options = {"maxiter": iterations, "gtol": 1e-4}
    found = sp.optimize.minimize(
        cost_and_gradient, start.ravel(), method="L-BFGS-B", jac=True, options=options
    ).x.reshape((nnodes, 2))
    return dict(zip(G, nx.rescale_layout(found, scale=1) + np.zeros(2), strict=True))


def _workspace(dtype: Any, rows: int, cols: int) -> dict[str, Any]:
    """Arrays :func:`energy_layout` reuses for every batch of `rows` nodes."""
    return {
        name: np.empty((rows, cols), dtype)
        for name in ("dx", "dy", "dy2", "distance2", "distance", "log", "repulsion")
    }


def _row_sums_of_products(weights: Any, values: Any, work: dict[str, Any]) -> Any:
    """``np.einsum("ij,ij->i", weights, values)`` with einsum's floats: each row's
    products added one after the other from 0.0, in column order (how einsum sums
    ``"ij,ijk->ik"`` too: its inner loop runs over the length-2 axis k, so each sum is
    built one j at a time).

    The products are stored transposed, so that reducing over the first axis (numpy adds
    the rows in order, every column at once) gives those sequential sums fast; a
    reduction along a row would sum pairwise, a different float. `work` keeps the buffer.
    """
    dtype = np.result_type(weights, values)  # einsum's: both cast up exactly
    rows, cols = weights.shape
    spare = work.get("products")
    if spare is None or spare.dtype != dtype or spare.shape[0] != cols or spare.shape[1] < rows:
        spare = work["products"] = np.empty((cols, rows), dtype)
    products = spare[:, :rows]
    np.multiply(weights, values, out=products.T)
    return np.add.reduce(products, axis=0, initial=0.0)


def _attraction(Ad: Any, k: float, distance2: Any, unique: bool, spare: Any) -> Any:
    """``Ad / k - k**2 / distance2`` for sparse `Ad`, as scipy computes it (densify `Ad`,
    then subtract) without the dense zeros: ``0 - x`` is ``-x``, so only the stored
    entries need the subtraction. `unique`: no entry of `Ad` is stored twice (densifying
    would add those up). `spare` may hold the result (same shape and dtype as
    `distance2`)."""
    scaled = Ad / k
    if not (unique and scaled.format == "coo"):
        return scaled - k**2 / distance2
    repulsion = np.divide(k**2, distance2, out=spare)
    rows, cols = scaled.row, scaled.col
    at_edges = scaled.data - repulsion[rows, cols]
    dtype = np.result_type(scaled.dtype, repulsion.dtype)
    out = (
        np.negative(repulsion, out=repulsion)
        if dtype == repulsion.dtype
        else np.negative(repulsion, dtype=dtype)
    )
    out[rows, cols] = at_edges
    return out


def pagerank_of(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The PageRank column of metrics rows, by entity id (what the drawing depends on)."""
    return {str(r["id"]): float(r.get("pagerank", 0.0)) for r in rows}


def drawn_graph(G: nx.Graph, pagerank: Mapping[str, float]) -> tuple[nx.Graph, str | None]:
    """The part of `G` the report draws, and a note when that is not all of it.

    A spring layout costs O(n^2) a step and a browser draws a few thousand SVG nodes at
    most, so above :data:`MAX_DRAWN_NODES` the entities of highest `pagerank` (by entity
    id, see :func:`pagerank_of`) are drawn.
    """
    if len(G) <= MAX_DRAWN_NODES:
        return G, None
    keep = sorted(G, key=lambda n: (-pagerank.get(str(n), 0.0), str(n)))[:MAX_DRAWN_NODES]
    note = (
        f"The network shows the {MAX_DRAWN_NODES:,} entities of highest PageRank out of "
        f"{len(G):,}; graph.graphml and graph.gexf hold them all (open them in Gephi)."
    )
    return _induced_in_order(G, set(keep)), note


def _induced_in_order(G: nx.Graph, keep: set[Any]) -> nx.Graph:
    """The subgraph of `keep`, its nodes and edges in `G`'s order. (``G.subgraph`` walks
    the node set, whose order changes with each process's string hashing: the layout,
    and so the page, would differ from one run to the next.)"""
    drawn = G.__class__()
    drawn.graph.update(G.graph)
    drawn.add_nodes_from((n, G.nodes[n]) for n in G if n in keep)
    edges = G.edges(keys=True, data=True) if G.is_multigraph() else G.edges(data=True)
    drawn.add_edges_from(e for e in edges if e[0] in keep and e[1] in keep)
    return drawn


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def network_payload(
    data: GraphData,
    G: nx.Graph,
    rows: Sequence[Mapping[str, Any]],
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
    seed: int = 42,
    pos: Mapping[Any, tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """Nodes (position, colour, radius) and edges (with evidence) for the page's script;
    `pos`: ``layout(G, seed)`` when the caller has it already."""
    by_id = {str(r["id"]): r for r in rows}
    if pos is None:
        pos = layout(G, seed)
    top_pr = max((float(r.get("pagerank", 0.0)) for r in rows), default=0.0) or 1.0
    index = {n: i for i, n in enumerate(G)}
    nodes = []
    for n, attrs in G.nodes(data=True):
        pr = float(by_id.get(n, {}).get("pagerank", 0.0))
        nodes.append(
            {
                "id": n,
                "name": attrs.get("name", str(n)),
                "type": attrs.get("type", ""),
                "x": pos[n][0],
                "y": pos[n][1],
                "r": round(4 + 14 * pr / top_pr, 2),
                "color": _hex(TYPE_COLOURS.get(attrs.get("type", ""), (128, 128, 128))),
                "community": by_id.get(n, {}).get("community", ""),
            }
        )
    evidence: dict[frozenset[str], list[dict[str, Any]]] = {}
    facts = views.filtered_relations(
        data, min_modality=min_modality, as_of=as_of, ontology=ontology
    )
    for fact in facts:
        rel = fact.relation
        ends = (rel.subject_id, rel.object_id)
        if not (G.has_edge(*ends) or G.has_edge(*ends[::-1])):
            continue  # a tie not drawn (most of them, on a large corpus)
        found = evidence.setdefault(frozenset(ends), [])
        statement = (
            f"{data.entities[rel.subject_id].name} {rel.predicate} "
            f"{data.entities[rel.object_id].name}"
        )
        for s in rel.support:
            doc = data.documents.get(s.doc_id)
            found.append(
                {
                    "statement": statement,
                    "text": s.evidence,
                    "modality": s.modality,
                    "attributed_to": s.attributed_to or "",
                    "doc": s.doc_id,
                    "title": (doc.title if doc else None) or "",
                    "date": views.support_date(s, data) or "",
                    "url": (doc.url if doc else None) or "",
                }
            )
    edges = [
        {
            "s": index[u],
            "t": index[v],
            "w": round(float(attrs.get("weight", 1.0)), 3),
            "predicates": list(attrs.get("predicates", ())),
            "evidence": evidence.get(frozenset((u, v)), []),
        }
        for u, v, attrs in G.edges(data=True)
    ]
    return {"nodes": nodes, "edges": edges, "types": {t: _hex(c) for t, c in TYPE_COLOURS.items()}}


def _json_for_script(payload: Any) -> str:
    """JSON safe inside <script>: no '<', '>' or '&' can end the element."""
    # orjson: a fifth to a quarter of json.dumps's time for the ~10 MB of a 10k-article corpus, at
    # the end of a rebuild where the report is the last file written
    text = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _network_png(
    G: nx.Graph, pos: Mapping[Any, tuple[float, float]], pr: Mapping[str, float]
) -> bytes:
    """PNG of the network: colours by type, sizes by PageRank (`pr`, by entity id)."""
    top_pr = max(pr.values(), default=0.0) or 1.0
    fig = _figure(10, 7)
    ax = fig.subplots()
    flipped = {n: (x, -y) for n, (x, y) in pos.items()}  # SVG y grows downwards
    nx.draw_networkx_edges(G, flipped, ax=ax, alpha=0.3, width=0.8)
    colours = [_hex(TYPE_COLOURS.get(t, (128, 128, 128))) for _, t in G.nodes(data="type")]
    sizes = [20 + 400 * pr.get(n, 0.0) / top_pr for n in G]
    nx.draw_networkx_nodes(G, flipped, ax=ax, node_color=colours, node_size=sizes)
    best = sorted(G, key=lambda n: -pr.get(n, 0.0))[:12]
    nx.draw_networkx_labels(
        G, flipped, labels={n: _plain(G.nodes[n].get("name", n)) for n in best}, ax=ax, font_size=8
    )
    for t, c in TYPE_COLOURS.items():
        ax.scatter([], [], color=_hex(c), label=t)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.set_axis_off()
    ax.set_title("Entity network (size: PageRank)")
    return _png(fig)


def plot_centralities(rows: Sequence[Mapping[str, Any]], n: int = 10) -> bytes:
    """PNG bar charts of the top `n` entities by PageRank and by betweenness."""
    fig = _figure(12, 5)
    axes = fig.subplots(1, 2)
    for ax, column in zip(axes, ("pagerank", "betweenness"), strict=True):
        best = analysis.top(rows, column, n) if rows else []
        names = [_plain(str(r["name"])[:30]) for r in best][::-1]
        ax.barh(names, [float(r[column]) for r in best][::-1], color="#0072b2")
        ax.set_title(f"Top {n} by {column}")
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return _png(fig)


def _plain(text: Any) -> str:
    """A label matplotlib shows as written: '$' would otherwise start maths mode."""
    return str(text).replace("$", r"\$")


def _figure(width: float, height: float) -> Any:
    """A figure outside pyplot, so plotting here never changes the caller's backend."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else _e(value)


def _table(headers: Sequence[str], body: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    rows = "".join("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in r) + "</tr>" for r in body)
    return f'<table class="{_e(cls)}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def render_html(
    data: GraphData,
    rows: Sequence[Mapping[str, Any]],
    *,
    G: nx.Graph,
    payload: Mapping[str, Any],
    key: analysis.KeyPlayers,
    pngs: Mapping[str, bytes],
    notes: Sequence[str] = (),
    top: int = 10,
    min_modality: str = "alleged",
    as_of: str | None = None,
    link_persons: Collection[str] | None = None,
    timeline: Sequence[Mapping[str, Any]] | None = None,
    persons: nx.Graph | None = None,
) -> str:
    """The page as a string (pure: everything it shows is passed in).

    `link_persons` limits the predicted ties to those people (None: everyone);
    `persons`: ``views.person_view(data, min_modality=min_modality, as_of=as_of,
    only=link_persons)``, in which they are sought, when the caller has it already.
    `timeline`: ``event_timeline(data, min_modality=min_modality, as_of=as_of)`` when
    the caller has it already; by default it is made here.
    """
    names = {n: G.nodes[n].get("name", str(n)) for n in G}
    ranked = []
    for column in TABLE_COLUMNS:
        best = analysis.top(rows, column, top)
        body = [(i + 1, r["name"], r["type"], float(r[column])) for i, r in enumerate(best)]
        ranked.append(
            f"<h3>Top {top} by {_e(column)}</h3>" + _table(["#", "name", "type", column], body)
        )
    kp_rows = [
        (i + 1, names.get(p, p), f"{f:.3f}")
        for i, (p, f) in enumerate(zip(key.players, key.steps, strict=True))
    ]
    decap = [
        (
            names.get(d.group, d.group),
            ", ".join(names.get(x, x) for x in d.leaders),
            f"{d.fragmentation_before:.3f} → {d.fragmentation_after:.3f}",
            f"{d.component_before} → {d.component_after}",
        )
        for d in analysis.decapitations(G)[:top]
    ]
    if persons is None:
        persons = views.person_view(data, min_modality=min_modality, as_of=as_of, only=link_persons)
    predicted = [
        (
            names.get(p.u, p.u),
            names.get(p.v, p.v),
            f"{p.adamic_adar:.3f}",
            f"{p.jaccard:.3f}",
            ", ".join(names.get(s, s) for s in p.shared),
        )
        for p in linkpred.predict_links(persons, top)
    ]
    if timeline is None:
        timeline = event_timeline(data, min_modality=min_modality, as_of=as_of)
    events = [(e["date"] or "undated", e["name"], "; ".join(e["involved"])) for e in timeline]
    cut = analysis.articulation_points(G)
    legend = "".join(
        f'<span class="chip" style="background:{_e(c)}"></span>{_e(t)} '
        for t, c in payload["types"].items()
    )
    images = "".join(
        f'<figure><img alt="{_e(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode("ascii")}"><figcaption>{_e(name)}</figcaption></figure>'
        for name, png in pngs.items()
    )
    filters = f"modalities: {min_modality} and stronger" + (f"; as of {as_of}" if as_of else "")
    summary = (
        f"{G.number_of_nodes()} entities, {G.number_of_edges()} ties, "
        f"{len(data.documents)} documents, {nx.number_connected_components(G) if len(G) else 0} "
        f"connected components ({filters})."
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>milgraph report</title>
<style>{_CSS}</style></head>
<body>
<h1>milgraph network report</h1>
<p class="summary">{_e(summary)}</p>
<section><h2>Network</h2>
<p>{legend}<br>Node size: PageRank. Click an edge to read the sentences that support it;
click a node to see its name.</p>
<div class="netwrap">
<svg id="network" viewBox="0 0 1000 700" role="img" aria-label="entity network"></svg>
<aside id="evidence"><h3>Evidence</h3><p class="hint">Click an edge.</p></aside></div>
</section>
<section><h2>Key players</h2>
<p>Greedy search for the entities whose removal fragments the network most
(Borgatti's F, baseline {key.baseline:.3f}).</p>
{_table(["order", "entity", "fragmentation after removal"], kp_rows, "keyplayers")}
<h3>Removing a group's leaders</h3>
{_table(["group", "leaders removed", "fragmentation", "size of the group's component"], decap)}
<p>Articulation points (removing one disconnects part of the network):
{_e(", ".join(names.get(n, n) for n in cut)) or "none"}.</p>
</section>
<section><h2>Ranked entities</h2><div class="tables">{"".join(ranked)}</div></section>
<section><h2>Likely missing ties between people</h2>
{_table(["person", "person", "Adamic-Adar", "Jaccard", "shared neighbours"], predicted)}</section>
<section><h2>Timeline of events</h2>
{_table(["date", "event", "involved"], events, "timeline")}</section>
<section><h2>Plots</h2>{images}</section>
<section class="notes"><h2>Method notes</h2>
<ul>{"".join(f"<li>{_e(n)}</li>" for n in notes)}</ul></section>
<script type="application/json" id="graph-data">{_json_for_script(payload)}</script>
<script>{_JS}</script>
</body></html>
"""


@gc_paused()
def write_report(
    data: GraphData,
    rows: Sequence[Mapping[str, Any]],
    path: str | Path,
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
    seed: int = 42,
    top: int = 10,
    key_player_k: int = 3,
    notes: Sequence[str] = (),
    key_players: analysis.KeyPlayers | None = None,
    graph: nx.Graph | None = None,
) -> list[Path]:
    """Write the HTML report and its PNG plots (``<stem>-network.png``,
    ``<stem>-centrality.png``) beside it; returns the paths written.

    ``prepare_report(...).write(rows, path, ...)``: see those two for the parameters.
    """
    prepared = prepare_report(
        data, graph, min_modality=min_modality, as_of=as_of, ontology=ontology
    )
    return prepared.write(
        rows,
        path,
        seed=seed,
        top=top,
        key_player_k=key_player_k,
        notes=notes,
        key_players=key_players,
    )


@dataclass(frozen=True)
class _Drawing:
    """The network as the report draws it for one PageRank column: the drawn part (chosen
    by PageRank above MAX_DRAWN_NODES), its layout and its PNG (sized by PageRank)."""

    pagerank: dict[str, float]
    seed: int
    graph: nx.Graph
    note: str | None  # why only part of the network is drawn
    pos: dict[Any, tuple[float, float]]
    png: bytes
    people: nx.Graph | None = None  # the person view among link_persons, made ahead

    @property
    def link_persons(self) -> set[str] | None:
        """The people among whom likely missing ties are sought: those drawn when only
        part of the network is (the co-membership ties of a large corpus run to millions
        of pairs); None, everyone, otherwise."""
        if not self.note:
            return None
        return {n for n, kind in self.graph.nodes(data="type") if kind == "Person"}

    @classmethod
    def of(cls, full: nx.Graph, pagerank: dict[str, float], seed: int) -> _Drawing:
        G, note = drawn_graph(full, pagerank)
        pos = layout(G, seed)
        return cls(pagerank, seed, G, note, pos, _network_png(G, pos, pagerank))


@dataclass(frozen=True)
class PreparedReport:
    """The part of the report that needs no scores (see :func:`prepare_report`)."""

    data: GraphData
    graph: nx.Graph  # the entity graph under the filters below
    timeline: list[dict[str, Any]]  # event_timeline under the same filters
    min_modality: str
    as_of: str | None
    ontology: Ontology | None
    drawing: _Drawing | None = None  # drawn ahead (see with_drawing)

    @gc_paused()
    def with_drawing(self, seed: int = 42) -> PreparedReport:
        """This report with the network drawn ahead from a PageRank of its own, for
        scores still being computed elsewhere: the layout, the slowest part of the
        report, no longer waits for them. :meth:`write` uses the drawing only if the
        scores' PageRank column is that PageRank exactly (analysis.compute_metrics
        gives it), and draws again otherwise."""
        pagerank = {str(n): value for n, value in analysis.pagerank_column(self.graph).items()}
        drawing = _Drawing.of(self.graph, pagerank, seed)
        # the ties among the people drawn need no scores either
        people = views.person_view(
            self.data, min_modality=self.min_modality, as_of=self.as_of, only=drawing.link_persons
        )
        return replace(self, drawing=replace(drawing, people=people))

    @gc_paused()
    def write(
        self,
        rows: Sequence[Mapping[str, Any]],
        path: str | Path,
        *,
        seed: int = 42,
        top: int = 10,
        key_player_k: int = 3,
        notes: Sequence[str] = (),
        key_players: analysis.KeyPlayers | None = None,
    ) -> list[Path]:
        """Write the HTML report and its PNG plots (``<stem>-network.png``,
        ``<stem>-centrality.png``) beside it for the scores `rows` (metrics.csv's);
        returns the paths written.

        Parameters
        ----------
        key_players
            The search :func:`analysis.compute_metrics` already made for `rows`
            (``Metrics.key_players``); by default it is run again on the entity graph,
            with `key_player_k` players (the search is the costliest part of the report).
        """
        path = Path(path)
        data, full = self.data, self.graph
        min_modality, as_of = self.min_modality, self.as_of
        pagerank = pagerank_of(rows)  # the drawn part and its sizes depend on it
        drawing = self.drawing
        if drawing is None or drawing.seed != seed or drawing.pagerank != pagerank:
            drawing = _Drawing.of(full, pagerank, seed)
        G, cap_note = drawing.graph, drawing.note
        notes = [*notes, cap_note] if cap_note else list(notes)
        link_persons = drawing.link_persons
        if link_persons is not None:
            notes.append(
                f"Likely missing ties are sought among the {len(link_persons):,} people drawn."
            )
        payload = network_payload(
            data,
            G,
            rows,
            min_modality=min_modality,
            as_of=as_of,
            ontology=self.ontology,
            seed=seed,
            pos=drawing.pos,
        )
        pngs = {"network": drawing.png, "centrality": plot_centralities(rows, top)}
        key = key_players
        if key is None:
            # The ranking metrics.csv used, from its (rounded) betweenness column.
            betweenness = {r["id"]: float(r.get("betweenness", 0.0)) for r in rows}
            key, _ = analysis.key_players_at_scale(full, key_player_k, betweenness)
        page = render_html(
            data,
            rows,
            G=G,
            payload=payload,
            key=key,
            pngs=pngs,
            notes=notes,
            top=top,
            min_modality=min_modality,
            as_of=as_of,
            link_persons=link_persons,
            timeline=self.timeline,
            persons=drawing.people,
        )
        written = []
        for name, png in pngs.items():
            png_path = path.with_name(f"{path.stem}-{name}.png")
            atomic_write_bytes(png_path, png)
            written.append(png_path)
        atomic_write_text(path, page)
        return [path, *written]


@gc_paused()
def prepare_report(
    data: GraphData,
    graph: nx.Graph | None = None,
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
) -> PreparedReport:
    """The report's work that needs no scores, done before they exist: the filtered
    ties and the entity graph (unless given), the timeline of events, and the imports
    of matplotlib and scipy's optimiser (about a second of CPU in a process that has
    neither). Everything drawn depends on the scores: above :data:`MAX_DRAWN_NODES`
    entities, the drawn part is chosen by PageRank (see :meth:`PreparedReport.with_drawing`
    to draw it before the scores are in).

    Parameters
    ----------
    graph
        ``views.entity_graph(data)`` under the same `min_modality`, `as_of` and
        `ontology`, when the caller has it already; by default it is built here.
    """
    for module in LAZY_MODULES:
        importlib.import_module(module)
    # cached by views: the payload and the person view filter the same ties again
    views.filtered_relations(data, min_modality=min_modality, as_of=as_of, ontology=ontology)
    if graph is None:
        graph = views.entity_graph(data, min_modality=min_modality, as_of=as_of, ontology=ontology)
    timeline = event_timeline(data, min_modality=min_modality, as_of=as_of)
    return PreparedReport(data, graph, timeline, min_modality, as_of, ontology)


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.tables{display:flex;flex-wrap:wrap;gap:1.5em}
.netwrap{display:flex;gap:1em;align-items:flex-start}
#network{width:72%;border:1px solid #ccc;background:#fcfcfc}
#evidence{width:28%;max-height:700px;overflow:auto;font-size:13px}
#evidence blockquote{margin:.3em 0 .8em;padding-left:.6em;border-left:3px solid #0072b2}
.edge{stroke:#999;stroke-opacity:.6;cursor:pointer}.edge:hover,.edge.sel{stroke:#d55e00;stroke-opacity:1}
.node{stroke:#fff;stroke-width:1;cursor:pointer}.label{font-size:10px;pointer-events:none;fill:#333}
.chip{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin:0 .3em 0 .8em}
figure{display:inline-block;margin:0 1em 1em 0}img{max-width:100%;border:1px solid #eee}
.hint{color:#777}
"""

# Builds the SVG from the JSON payload; text goes in with textContent only.
_JS = r"""
(function(){
  var data = JSON.parse(document.getElementById('graph-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var svg = document.getElementById('network');
  var panel = document.getElementById('evidence');
  function el(tag, attrs, parent){
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    parent.appendChild(e); return e;
  }
  function add(parent, tag, text){
    var e = document.createElement(tag); e.textContent = text; parent.appendChild(e); return e;
  }
  var edges = el('g', {'class': 'edges'}, svg), nodes = el('g', {'class': 'nodes'}, svg);
  var lines = [];
  var maxw = Math.max.apply(null, data.edges.map(function(e){return e.w;}).concat([1]));
  data.edges.forEach(function(e, i){
    var a = data.nodes[e.s], b = data.nodes[e.t];
    var line = el('line', {'class': 'edge', 'x1': a.x, 'y1': a.y, 'x2': b.x, 'y2': b.y,
      'stroke-width': 1.5 + 4 * e.w / maxw, 'data-index': i}, edges);
    add(line, 'title', a.name + ' — ' + b.name + ' (' + e.predicates.join(', ') + ')');
    line.addEventListener('click', function(){ showEdge(i, line); });
    lines.push(line);
  });
  data.nodes.forEach(function(n, i){
    var c = el('circle', {'class': 'node', 'cx': n.x, 'cy': n.y, 'r': n.r, 'fill': n.color,
      'data-index': i}, nodes);
    add(c, 'title', n.name + ' (' + n.type + ')');
    c.addEventListener('click', function(){ showNode(n); });
    if (n.r > 9) {
      var t = el('text', {'class': 'label', 'x': n.x + n.r + 2, 'y': n.y + 3}, nodes);
      t.textContent = n.name;
    }
  });
  function clear(title){
    while (panel.firstChild) panel.removeChild(panel.firstChild);
    add(panel, 'h3', title);
  }
  function showEdge(i, line){
    var e = data.edges[i], a = data.nodes[e.s], b = data.nodes[e.t];
    var old = svg.querySelectorAll('.edge.sel');
    for (var j = 0; j < old.length; j++) old[j].classList.remove('sel');
    line.classList.add('sel');
    clear(a.name + ' — ' + b.name);
    add(panel, 'p', e.predicates.join(', ') + ' · weight ' + e.w);
    e.evidence.forEach(function(ev){
      var said = ev.modality + (ev.attributed_to ? ', ' + ev.attributed_to : '');
      add(panel, 'strong', ev.statement + ' [' + said + ']');
      add(panel, 'blockquote', ev.text);
      add(panel, 'p', 'Source: ' + (ev.title || ev.doc) + (ev.date ? ' (' + ev.date + ')' : '')
        + (ev.url ? ' ' + ev.url : '') + ' [' + ev.doc + ']');
    });
    if (!e.evidence.length) add(panel, 'p', 'No evidence recorded.');
  }
  function showNode(n){
    clear(n.name);
    add(panel, 'p', n.type + ' · community ' + n.community);
    add(panel, 'p', n.id);
  }
  // #edge=N opens an edge's evidence directly (links to a tie; used by the tests).
  var wanted = /edge=(\d+)/.exec(location.hash);
  if (wanted && lines[+wanted[1]]) showEdge(+wanted[1], lines[+wanted[1]]);
  svg.setAttribute('data-rendered', String(data.nodes.length));
})();
"""
