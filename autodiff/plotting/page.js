(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const nodes = new Map(data.nodes.map(n => [n.id, n]));
  const clusters = new Map(data.clusters.map(c => [c.id, c]));
  const collapsed = new Set(data.collapsed);
  // A compact layout for the modules collapsed at the start (their insides take no room), used
  // while exactly those are collapsed; any other state uses the full layout.
  const start = data.start, startSet = new Set(data.collapsed);
  let compact = false, refit = false;
  function startState() { return !!start && collapsed.size === startSet.size && [...startSet].every(c => collapsed.has(c)); }
  const svg = document.getElementById("canvas");
  const viewport = document.getElementById("viewport");
  const details = document.getElementById("details");
  const search = document.getElementById("search");
  let selected = null, matches = [], matchIndex = -1;
  let view = { x: 0, y: 0, k: 1 };
  // Text is drawn at 10-11 page units. Below MIN_PX on screen, node labels are hidden (hover a
  // node to read it) and module titles and output labels grow to stay MIN_PX tall.
  const MIN_PX = 9, LABEL_PX = 10;
  const hover = document.getElementById("hover");

  function el(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }
  function ancestors(clusterId) {
    const out = [];
    for (let c = clusterId; c; c = clusters.get(c).parent) out.push(c);
    return out;
  }
  // What stands for an item now: itself, or the outermost collapsed module around it.
  function rep(id) {
    const start = nodes.has(id) ? nodes.get(id).cluster : clusters.get(id).parent;
    let r = id;
    for (const c of ancestors(start)) if (collapsed.has(c)) r = c;
    return r;
  }
  function bboxOf(c) { return (compact && start.clusters[c.id]) || c.bbox; }
  function nodeBox(n) { return (compact && start.boxes[n.id]) || n.box; }
  function collapsedBox(c) {
    if (compact && start.boxes[c.id]) return start.boxes[c.id];
    const b = c.bbox, w = Math.max(70, Math.min(b[2] - b[0] - 8, 6.5 * (c.name.length + 4)));
    return [(b[0] + b[2]) / 2, b[1] + 24, w, 34];
  }
  function box(id) { return nodes.has(id) ? nodeBox(nodes.get(id)) : collapsedBox(clusters.get(id)); }

  function drawLabel(g, lines, cx, cy) {
    const top = cy - (lines.length - 1) * 6.5 + 3.5;
    lines.forEach((line, i) => {
      const t = el("text", { class: "label", x: cx, y: top + 13 * i, "text-anchor": "middle" }, g);
      t.textContent = line;
    });
  }
  // The names of the outputs an item shows (a dict's labels, "output i"), above its box.
  function drawOutputLabels(g, names, cx, top) {
    if (!names.length) return;
    const t = el("text", { class: "output-label", x: cx, y: top - 4, "text-anchor": "middle" }, g);
    t.textContent = names.join(", ");
  }
  function onHover(g, lines) {
    g.addEventListener("mouseenter", ev => {
      if (!svg.classList.contains("tiny")) return;
      hover.replaceChildren(...lines.map(line => { const d = document.createElement("div"); d.textContent = line; return d; }));
      hover.style.left = ev.clientX + 12 + "px";
      hover.style.top = ev.clientY + 12 + "px";
      hover.hidden = false;
    });
    g.addEventListener("mouseleave", () => { hover.hidden = true; });
  }
  // The labels of the outputs drawn as `id` now (a node, or a collapsed module holding them).
  function outputLabelsOf(id) {
    const out = [];
    for (const n of data.nodes) if (n.outputLabels && n.outputLabels.length && rep(n.id) === id) out.push(...n.outputLabels);
    return out;
  }
  function holdsOutput(id) { return data.nodes.some(n => n.output && rep(n.id) === id); }

  function render() {
    const was = compact;
    compact = startState();
    if (was !== compact) refit = true;
    viewport.replaceChildren();
    const layerClusters = el("g", {}, viewport), layerEdges = el("g", {}, viewport), layerNodes = el("g", {}, viewport);
    for (const c of data.clusters) {
      if (!c.bbox || rep(c.id) !== c.id) continue;
      if (collapsed.has(c.id)) {
        const [x, y, w, h] = collapsedBox(c);
        const names = outputLabelsOf(c.id);
        const g = el("g", { class: "node kind-" + (c.library ? "library" : "module") + (holdsOutput(c.id) ? " output" : "") + " cluster-toggle", "data-cluster": c.id, "data-cluster-name": c.name }, layerNodes);
        el("rect", { class: "shape", x: x - w / 2, y: y - h / 2, width: w, height: h, rx: 3 }, g);
        const lines = ["\u25B8 " + c.name, c.size + (c.size === 1 ? " node" : " nodes")];
        drawLabel(g, lines, x, y);
        drawOutputLabels(g, names, x, y - h / 2);
        onHover(g, names.concat(lines));
        el("title", {}, g).textContent = (c.library ? "library composition " : "module ") + c.path + " (click to expand)";
        g.addEventListener("click", () => toggle(c.id));
      } else {
        const [x0, y0, x1, y1] = bboxOf(c);
        const depth = ancestors(c.id).length;
        el("rect", { class: "cluster-box" + (depth % 2 ? "" : " even") + (c.library ? " library" : ""), x: x0, y: y0, width: x1 - x0, height: y1 - y0, rx: 6, "data-cluster": c.id }, layerClusters);
        const title = el("g", { class: "cluster-title cluster-toggle", "data-cluster": c.id, "data-cluster-name": c.name }, layerClusters);
        el("rect", { x: x0 + 2, y: y0 + 2, width: Math.min(x1 - x0 - 4, 6.5 * (c.name.length + 4)), height: 15, fill: "transparent" }, title);
        el("text", { x: x0 + 6, y: y0 + 13 }, title).textContent = "\u25BE " + c.name;
        el("title", {}, title).textContent = (c.library ? "library composition " : "module ") + c.path + " (click to collapse)";
        title.addEventListener("click", () => toggle(c.id));
      }
    }
    const drawn = new Set();
    for (const e of data.edges) {
      const a = rep(e.s), b = rep(e.t);
      if (a === b) continue;
      const key = a + ">" + b;
      const merged = a !== e.s || b !== e.t;
      if (merged && drawn.has(key)) continue;
      drawn.add(key);
      let d = compact ? start.splines[a + ">" + b] : merged ? null : e.path;
      if (!d) {
        const p = box(a), q = box(b);
        const x1 = p[0], y1 = p[1] + p[3] / 2, x2 = q[0], y2 = q[1] - q[3] / 2;
        const dy = Math.max(20, Math.abs(y2 - y1) / 2);
        d = `M${x1},${y1}C${x1},${y1 + dy} ${x2},${y2 - dy} ${x2},${y2}`;
      }
      const hot = selected && (e.s === selected || e.t === selected);
      el("path", { class: "edge" + (e.cut ? " cut" : "") + (hot ? " hot" : ""), d: d, "marker-end": "url(#arrow)", "data-s": a, "data-t": b }, layerEdges);
    }
    const query = search.value.trim().toLowerCase();
    for (const n of data.nodes) {
      if (rep(n.id) !== n.id) continue;
      const [x, y, w, h] = nodeBox(n);
      let cls = "node kind-" + n.kind + (n.output ? " output" : "") + (n.id === selected ? " selected" : "");
      if (query) cls += matches.includes(n.id) ? " match" : " dim";
      const g = el("g", { class: cls, "data-id": n.id, "data-name": n.kind === "cut" ? "" : n.name }, layerNodes);
      if (n.kind === "variable") el("ellipse", { class: "shape", cx: x, cy: y, rx: w / 2, ry: h / 2 }, g);
      else if (n.kind !== "cut") el("rect", { class: "shape", x: x - w / 2, y: y - h / 2, width: w, height: h, rx: n.kind === "constant" ? 0 : 4 }, g);
      drawLabel(g, n.label, x, y);
      const names = n.outputLabels || [];
      drawOutputLabels(g, names, x, y - h / 2);
      onHover(g, names.concat(n.label));
      if (n.kind !== "cut") el("title", {}, g).textContent = n.op + " " + n.shape + " " + n.dtype;
      g.addEventListener("click", ev => { ev.stopPropagation(); select(n.kind === "cut" ? n.target : n.id, false); });
    }
    if (refit) { refit = false; fit(); }  // the layout changed: show all of it
    declutter();
  }

  function toggle(id) {
    if (collapsed.has(id)) collapsed.delete(id); else collapsed.add(id);
    render();
  }

  function row(table, key, value) {
    const tr = document.createElement("tr");
    const a = document.createElement("td"), b = document.createElement("td");
    a.textContent = key;
    if (value instanceof Node) b.appendChild(value); else b.textContent = value;
    tr.append(a, b);
    table.appendChild(tr);
  }
  function links(items) {
    if (!items.length) return "none";
    const ul = document.createElement("ul");
    for (const item of items) {
      const li = document.createElement("li");
      if (item.ref) {
        const a = document.createElement("a");
        a.textContent = item.text;
        a.dataset.ref = item.ref;
        a.addEventListener("click", () => select(item.ref, true));
        li.appendChild(a);
      } else li.textContent = item.text + " (not shown)";
      ul.appendChild(li);
    }
    return ul;
  }
  function showDetails(n) {
    details.replaceChildren();
    const h = document.createElement("h2");
    h.textContent = n.kind === "variable" ? "Variable " + n.name : n.label[0];
    details.appendChild(h);
    const table = document.createElement("table");
    table.id = "details-table";
    row(table, "op", n.op);
    if (n.kind === "variable" || (n.name !== n.op && n.kind === "constant")) row(table, "name", n.name);
    row(table, "shape", n.shape);
    row(table, "dtype", n.dtype);
    row(table, "kind", n.kind + (n.output ? " (output)" : ""));
    if (n.scope) row(table, "module", n.scope);
    if (n.params) row(table, "params", n.params);
    row(table, "inputs", links(n.inputs));
    if (n.cut) row(table, "cut off", n.cut + " input(s) not drawn (raise max_nodes)");
    row(table, "consumers", links(n.consumers.map(id => ({ ref: id, text: nodes.get(id).label[0] + " " + nodes.get(id).shape }))));
    details.appendChild(table);
    const v = document.createElement("div");
    v.id = "value";
    if (n.value) {
      const title = document.createElement("h3");
      title.textContent = "value";
      const vt = document.createElement("table");
      for (const [k, val] of Object.entries(n.value)) row(vt, k, val);
      v.append(title, vt);
    } else {
      v.textContent = "No value: write the page with plot_html(..., values=True) to see values.";
    }
    details.appendChild(v);
  }

  function select(id, center) {
    const n = nodes.get(id);
    if (!n) return;
    selected = id;
    for (const c of ancestors(n.cluster)) collapsed.delete(c);
    render();
    showDetails(n);
    if (center) {
      const r = svg.getBoundingClientRect();
      view.k = Math.max(view.k, 1);  // readable, however small the whole graph was fitted
      view.x = r.width / 2 - nodeBox(n)[0] * view.k;
      view.y = r.height / 2 - nodeBox(n)[1] * view.k;
      apply();
    }
  }

  function apply() {
    viewport.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`);
    const tiny = LABEL_PX * view.k < MIN_PX;
    svg.classList.toggle("tiny", tiny);
    if (!tiny) hover.hidden = true;
    svg.style.setProperty("--grow", String(Math.max(1, MIN_PX / (LABEL_PX * view.k))));
    declutter();
  }
  // Output labels grown to stay legible may cover each other: lift each one that would above
  // the ones already placed.
  function declutter() {
    const placed = [];
    for (const t of viewport.querySelectorAll("text.output-label")) {
      t.removeAttribute("transform");
      const b = t.getBBox();
      let dy = 0;
      for (let i = 0; i < 50; i++) {
        const hit = placed.find(p => b.x < p.x + p.width && p.x < b.x + b.width && b.y + dy < p.y + p.height && p.y < b.y + dy + b.height);
        if (!hit) break;
        dy = hit.y - b.height - b.y - 1;
      }
      if (dy) t.setAttribute("transform", `translate(0,${dy})`);
      placed.push({ x: b.x, y: b.y + dy, width: b.width, height: b.height });
    }
  }
  function fit() {
    const bb = viewport.getBBox(), r = svg.getBoundingClientRect();
    if (!bb.width || !r.width) return;
    view.k = Math.min(2, (r.width - 40) / bb.width, (r.height - 40) / bb.height);
    view.x = (r.width - bb.width * view.k) / 2 - bb.x * view.k;
    view.y = (r.height - bb.height * view.k) / 2 - bb.y * view.k;
    apply();
  }

  let drag = null;
  svg.addEventListener("pointerdown", ev => {
    if (ev.target.closest(".node, .cluster-toggle")) return;
    drag = { x: ev.clientX - view.x, y: ev.clientY - view.y };
    svg.classList.add("dragging");
  });
  window.addEventListener("pointermove", ev => {
    if (!drag) return;
    view.x = ev.clientX - drag.x;
    view.y = ev.clientY - drag.y;
    apply();
  });
  window.addEventListener("pointerup", () => { drag = null; svg.classList.remove("dragging"); });
  svg.addEventListener("wheel", ev => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect(), mx = ev.clientX - r.left, my = ev.clientY - r.top;
    const k = Math.min(8, Math.max(0.05, view.k * Math.exp(-ev.deltaY * 0.0015)));
    view.x = mx - (mx - view.x) * k / view.k;
    view.y = my - (my - view.y) * k / view.k;
    view.k = k;
    apply();
  }, { passive: false });

  search.addEventListener("input", () => {
    const q = search.value.trim().toLowerCase();
    matches = q ? data.nodes.filter(n => n.kind !== "cut" && (n.name.toLowerCase().includes(q) || n.op.toLowerCase().includes(q) || n.label.join(" ").toLowerCase().includes(q))).map(n => n.id) : [];
    matchIndex = -1;
    document.getElementById("matches").textContent = q ? matches.length + (matches.length === 1 ? " match" : " matches") : "";
    render();
  });
  search.addEventListener("keydown", ev => {
    if (ev.key !== "Enter" || !matches.length) return;
    matchIndex = (matchIndex + 1) % matches.length;
    select(matches[matchIndex], true);
  });
  document.getElementById("fit").addEventListener("click", fit);
  document.getElementById("expand-all").addEventListener("click", () => { collapsed.clear(); render(); });
  document.getElementById("collapse-all").addEventListener("click", () => {
    for (const c of data.clusters) if (!c.parent) collapsed.add(c.id);
    render();
  });
  window.addEventListener("keydown", ev => { if (ev.key === "Escape") { selected = null; render(); details.replaceChildren("Click a node to see its details."); } });

  document.getElementById("stats").textContent = data.shown + (data.shown === 1 ? " node" : " nodes") + (data.shown < data.total ? " of " + data.total : "");
  document.getElementById("caption").textContent = data.caption;
  render();
  fit();
  window.addEventListener("resize", fit);
  document.body.dataset.ready = "true";
})();
