/* Forkscope explorer: zoom, search, pin, colour-by, isolate and select on a layer page's scatter
 * plots. Progressive enhancement: the page is whole without it. It reads everything from the
 * page's <script type="application/json" id="explore-data"> block (forkscope.explore/1,
 * docs/explorer.md), never fetches, never evaluates text, and keeps its state in the URL fragment:
 *   #q=<text or /regex/>&pin=<branch>/<token index>&colour=branch|root|position|norm|cluster
 *   &only=<root or branch id>&zoom=<plot>:<x0>,<y0>,<x1>,<y1>   (zoom may repeat, one per plot)
 * Untrusted text (tokens, ids, labels) only ever reaches the page through textContent and
 * setAttribute. Pure helpers first (tested under node: Tests/Explorer/explore.test.js), then the page. */
(function () {
  'use strict';

  // ---- Pure helpers -------------------------------------------------------------------------

  var COLOURINGS = ['branch', 'root', 'position', 'norm', 'cluster'];
  // Paul Tol's muted scheme (as BranchStyle), for categories; grey for "none".
  var CATEGORICAL = ['#CC6677', '#332288', '#DDCC77', '#117733', '#88CCEE', '#882255', '#44AA99', '#999933', '#AA4499'];
  var NONE = '#bbbbbb';
  // viridis at 16 even steps (van der Walt & Smith 2015), as PositionPlot.
  var VIRIDIS = ['#440154', '#481a6c', '#472f7d', '#414487', '#39568c', '#31688e', '#2a788e', '#23888e',
    '#1f988b', '#22a884', '#35b779', '#54c568', '#7ad151', '#a5db36', '#d2e21b', '#fde725'];

  function emptyState() {
    return { q: '', pin: null, colour: 'branch', only: '', zoom: [] };
  }

  /** The state a fragment describes; unknown keys and malformed values are ignored. */
  function parseFragment(hash) {
    var state = emptyState();
    var text = String(hash || '').replace(/^#/, '');
    if (!text) return state;
    text.split('&').forEach(function (part) {
      var eq = part.indexOf('=');
      if (eq < 0) return;
      var key = part.slice(0, eq), value;
      try { value = decodeURIComponent(part.slice(eq + 1)); } catch (e) { return; }
      if (key === 'q') {
        state.q = value;
      } else if (key === 'pin') {
        var slash = value.lastIndexOf('/');
        var index = Number(value.slice(slash + 1));
        if (slash > 0 && value.slice(slash + 1) !== '' && Number.isInteger(index) && index >= 0) {
          state.pin = { branch: value.slice(0, slash), index: index };
        }
      } else if (key === 'colour' || key === 'color') {
        if (COLOURINGS.indexOf(value) >= 0) state.colour = value;
      } else if (key === 'only') {
        state.only = value;
      } else if (key === 'zoom') {
        var colon = value.lastIndexOf(':');
        var n = value.slice(colon + 1).split(',').map(Number);
        if (colon > 0 && n.length === 4 && n.every(isFinite) && n[2] > n[0] && n[3] > n[1]) {
          state.zoom = state.zoom.filter(function (z) { return z.plot !== value.slice(0, colon); });
          state.zoom.push({ plot: value.slice(0, colon), x0: n[0], y0: n[1], x1: n[2], y1: n[3] });
        }
      }
    });
    return state;
  }

  function shortNumber(v) {
    return String(Number(v.toPrecision(6)));
  }

  /** The fragment of a state (without '#'); `crossLayer` leaves out the zoom, whose axes are one layer's. */
  function formatFragment(state, crossLayer) {
    var parts = [];
    if (state.q) parts.push('q=' + encodeURIComponent(state.q));
    if (state.pin) parts.push('pin=' + encodeURIComponent(state.pin.branch + '/' + state.pin.index));
    if (state.colour && state.colour !== 'branch') parts.push('colour=' + state.colour);
    if (state.only) parts.push('only=' + encodeURIComponent(state.only));
    if (!crossLayer) {
      state.zoom.forEach(function (z) {
        parts.push('zoom=' + encodeURIComponent(z.plot) + ':' + [z.x0, z.y0, z.x1, z.y1].map(shortNumber).join(','));
      });
    }
    return parts.join('&');
  }

  /** A test for token text: `/regex/flags` as a regular expression (throws SyntaxError when
   *  invalid), anything else a case-insensitive substring. Null for an empty query. */
  function matcher(query) {
    if (!query) return null;
    var re = /^\/(.+)\/([a-z]*)$/.exec(query);
    if (re) {
      var pattern = new RegExp(re[1], re[2].replace(/[gy]/g, ''));
      return function (text) { return pattern.test(text); };
    }
    var needle = query.toLowerCase();
    return function (text) { return text.toLowerCase().indexOf(needle) >= 0; };
  }

  /** Token text for display, as TokenText.visible: controls made visible, bidirectional
   *  formatting characters as \u{…} so a token cannot reorder its neighbours. */
  function visible(text) {
    var out = '';
    for (var i = 0; i < text.length; i++) {
      var c = text.codePointAt(i);
      if (c > 0xffff) i++;
      if (c === 0x0a) out += '\u21b5';
      else if (c === 0x09) out += '\u21e5';
      else if (c <= 0x1f) out += String.fromCharCode(0x2400 + c);
      else if (c === 0x7f) out += '\u2421';
      else if ((c >= 0x80 && c <= 0x9f) || (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) === 0xfffe || c === 0x061c ||
        c === 0x200e || c === 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
        out += '\\u{' + ('000' + c.toString(16).toUpperCase()).slice(-4) + '}';
      } else out += String.fromCodePoint(c);
    }
    return out;
  }

  /** A step of 1, 2 or 5 times a power of ten, at least `rough`. */
  function niceStep(rough) {
    var power = Math.pow(10, Math.floor(Math.log10(rough)));
    var f = rough / power;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
  }

  /** A step of 1, 2 or 5 times a power of ten, at most `rough`. */
  function niceStepBelow(rough) {
    var power = Math.pow(10, Math.floor(Math.log10(rough)));
    var f = rough / power;
    return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * power;
  }

  /** The ticks of an axis from lo to hi at `step`. */
  function ticks(lo, hi, step) {
    var out = [];
    for (var v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  function tickLabel(v, step) {
    var decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    return v.toFixed(decimals).replace(/^-(0\.?0*)$/, '$1');
  }

  /** Ray casting (Shimrat 1962): whether (x, y) lies inside the polygon [[x, y], …]. */
  function insidePolygon(x, y, polygon) {
    var inside = false;
    for (var i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
      var xi = polygon[i][0], yi = polygon[i][1], xj = polygon[j][0], yj = polygon[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  /** viridis at t in [0, 1], interpolated between its 16 steps. */
  function viridis(t) {
    t = Math.min(1, Math.max(0, isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
    var i = Math.min(VIRIDIS.length - 2, Math.floor(t)), f = t - i;
    var a = VIRIDIS[i], b = VIRIDIS[i + 1], out = '#';
    for (var k = 1; k < 7; k += 2) {
      var v = Math.round(parseInt(a.substr(k, 2), 16) * (1 - f) + parseInt(b.substr(k, 2), 16) * f);
      out += ('0' + v.toString(16)).slice(-2);
    }
    return out;
  }

  function categorical(i) {
    return i === null || i === undefined || i < 0 ? NONE : CATEGORICAL[i % CATEGORICAL.length];
  }

  /** The q-quantile of sorted numbers, linearly interpolated. */
  function quantile(sorted, q) {
    if (!sorted.length) return 0;
    var at = q * (sorted.length - 1), i = Math.floor(at), f = at - i;
    return i + 1 < sorted.length ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i];
  }

  /** One CSV field (RFC 4180 quoting). Text a spreadsheet would run as a formula (= + - @ first)
   *  gets a leading apostrophe (OWASP's CSV-injection advice): token text is untrusted. */
  function csvField(value) {
    var s = String(value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function csv(rows) {
    return rows.map(function (r) { return r.map(csvField).join(','); }).join('\r\n') + '\r\n';
  }

  var helpers = {
    parseFragment: parseFragment, formatFragment: formatFragment, matcher: matcher, visible: visible,
    niceStep: niceStep, niceStepBelow: niceStepBelow, ticks: ticks, tickLabel: tickLabel, insidePolygon: insidePolygon, viridis: viridis,
    categorical: categorical, quantile: quantile, csv: csv, emptyState: emptyState
  };
  if (typeof module === 'object' && module.exports) module.exports = helpers;
  if (typeof document === 'undefined') return;

  // ---- The page ------------------------------------------------------------------------------

  var SVG = 'http://www.w3.org/2000/svg', XHTML = 'http://www.w3.org/1999/xhtml';
  /** Plots with more tokens than this draw their points on a canvas (marks stay SVG elements). */
  var SVG_POINTS = 2500;
  /** Marks (search matches, selection) drawn per plot at most; counts are always whole. */
  var MARKS = 5000;
  var LISTED = 200;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function fixed(v) { return Math.round(v * 10) / 10; }

  function polylinePoints(pts) {
    return pts.map(function (v) { return fixed(v[0]) + ',' + fixed(v[1]); }).join(' ');
  }

  function Explorer(data) {
    var self = this;
    this.data = data;
    var n = data.text.length;
    this.n = n;
    this.branchOf = new Int32Array(n);
    this.indexOf = new Int32Array(n);
    data.branches.forEach(function (b, i) {
      for (var j = 0; j < b.count; j++) { self.branchOf[b.start + j] = i; self.indexOf[b.start + j] = j; }
    });
    this.massive = new Set(data.massive);
    this.plots = [];
    // Plots off screen keep their marks current but draw their points when scrolled near: a
    // change of colouring or isolation then costs the few plots in view, not every plot of the page.
    var views = new Map();
    this.observer = typeof IntersectionObserver === 'function' ? new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        var view = views.get(e.target);
        view.visible = e.isIntersecting;
        if (view.visible && view.dirty) view.draw();
      });
    }, { rootMargin: '300px 0px' }) : null;
    this.observe = function (view) {
      if (!self.observer) { view.visible = true; return; }
      views.set(view.svg, view);
      self.observer.observe(view.svg);
    };
    var svgs = document.querySelectorAll('svg[data-plot]');
    data.plots.forEach(function (p) {
      for (var i = 0; i < svgs.length; i++) {
        if (svgs[i].getAttribute('data-plot') === p.id) { self.plots.push(new PlotView(self, p, svgs[i], self.plots.length)); return; }
      }
    });
    this.state = parseFragment(location.hash);
    this.selection = null;
    this.hovered = -1;
    this.buildPanel();
    // highlight.css picks out a hovered branch with CSS alone, by `.figs:has(.bN:hover)` rules; every
    // change to the plots then re-matches them over the whole figure (0.49 s a change with 256
    // branches, Benchmarks/README.md). With the script, `emphasise` does that work instead.
    var figs = document.querySelector('.figs');
    figs.classList.add('figs-explored');
    figs.classList.remove('figs');
    figs.querySelectorAll('.legend li').forEach(function (li) {
      var b = Number((/\bb(\d+)\b/.exec(li.className) || [])[1]);
      if (!isFinite(b)) return;
      li.addEventListener('mouseenter', function () { self.emphasise(b); });
      li.addEventListener('mouseleave', function () { self.emphasise(-1); });
      li.addEventListener('focusin', function () { self.emphasise(b); });
      li.addEventListener('focusout', function () { self.emphasise(-1); });
    });
    this.bindPage();
    this.apply();
  }

  /** The token `pin` names, or -1. */
  Explorer.prototype.tokenOf = function (pin) {
    if (!pin) return -1;
    for (var b = 0; b < this.data.branches.length; b++) {
      var br = this.data.branches[b];
      if (br.id === pin.branch) return pin.index < br.count ? br.start + pin.index : -1;
    }
    return -1;
  };

  /** Which tokens `only` keeps (null: all): a root prompt's branches, else the branch of that id. */
  Explorer.prototype.kept = function () {
    var only = this.state.only;
    if (!only) return null;
    var data = this.data, root = -1, branch = -1;
    data.roots.forEach(function (r, i) { if (r.id === only) root = i; });
    if (root < 0) data.branches.forEach(function (b, i) { if (b.id === only) branch = i; });
    if (root < 0 && branch < 0) return null;
    var keep = new Uint8Array(this.n);
    data.branches.forEach(function (b, i) {
      if (i === branch || (root >= 0 && b.root === root)) keep.fill(1, b.start, b.start + b.count);
    });
    return keep;
  };

  /** Each token's fill under the state's colouring (per plot for clusters), and the scale's legend. */
  Explorer.prototype.colouring = function () {
    var data = this.data, self = this, n = this.n, mode = this.state.colour;
    if (mode === 'position' || mode === 'norm') {
      var values = mode === 'position' ? data.position : data.norm;
      var sorted = values.slice().sort(function (a, b) { return a - b; });
      // Norms: the 2nd to 98th percentile, so one attention sink does not flatten the scale.
      var lo = mode === 'norm' ? quantile(sorted, 0.02) : sorted[0];
      var hi = mode === 'norm' ? quantile(sorted, 0.98) : sorted[sorted.length - 1];
      var fills = new Array(n);
      for (var t = 0; t < n; t++) fills[t] = viridis(hi > lo ? (values[t] - lo) / (hi - lo) : 0);
      return { fill: function (t) { return fills[t]; }, scale: { lo: lo, hi: hi, clipped: mode === 'norm' } };
    }
    if (mode === 'root') return { fill: function (t) { return categorical(data.branches[self.branchOf[t]].root); } };
    if (mode === 'cluster') return { fill: function (t, plot) { return plot.cluster ? categorical(plot.cluster[t]) : NONE; }, clusters: true };
    return { fill: function (t) { return data.branches[self.branchOf[t]].colour; } };
  };

  Explorer.prototype.matches = function () {
    var test;
    try { test = matcher(this.state.q); } catch (e) { return { error: e.message, tokens: [] }; }
    if (!test) return { tokens: [] };
    var out = [];
    for (var t = 0; t < this.n; t++) if (test(this.data.text[t])) out.push(t);
    return { tokens: out };
  };

  /** Recomputes what the state shows and redraws every plot, the panel and the fragment. */
  Explorer.prototype.apply = function () {
    var state = this.state, self = this;
    this.pinned = this.tokenOf(state.pin);
    this.keep = this.kept();
    this.colours = this.colouring();
    var found = this.matches();
    this.found = found.tokens;
    this.foundSet = new Set(found.tokens);
    this.plots.forEach(function (p) {
      var z = state.zoom.filter(function (z) { return z.plot === p.p.id; })[0];
      p.setWindow(z || null);
      p.draw();
    });
    this.updatePanel(found.error);
    this.writeFragment();
  };

  Explorer.prototype.writeFragment = function () {
    var self = this;
    var fragment = formatFragment(this.state, false);
    if (location.hash.replace(/^#/, '') !== fragment) {
      this.writing = true;
      try { history.replaceState(null, '', fragment ? '#' + fragment : location.pathname + location.search); } catch (e) { location.replace('#' + fragment); }
      this.writing = false;
    }
    var crossLayer = formatFragment(this.state, true);
    document.querySelectorAll('nav.layers a').forEach(function (a) {
      var href = a.getAttribute('href').split('#')[0];
      a.setAttribute('href', crossLayer ? href + '#' + crossLayer : href);
    });
    this.crossLayer = crossLayer;
  };

  /** Records a plot's window in the state (null: back to the whole frame). */
  Explorer.prototype.zoomed = function (plot, window) {
    this.state.zoom = this.state.zoom.filter(function (z) { return z.plot !== plot.p.id; });
    if (window) this.state.zoom.push({ plot: plot.p.id, x0: window.x0, y0: window.y0, x1: window.x1, y1: window.y1 });
    plot.draw();
    this.writeFragment();
  };

  /** Picks out a branch's line in every plot in view (-1: none), as highlight.css does without the script. */
  Explorer.prototype.emphasise = function (branch) {
    if (branch === this.hovered) return;
    this.hovered = branch;
    this.plots.forEach(function (p) { if (p.visible) p.drawHover(); });
  };

  Explorer.prototype.pin = function (t) {
    this.state.pin = t < 0 || t === this.pinned ? null
      : { branch: this.data.branches[this.branchOf[t]].id, index: this.indexOf[t] };
    this.apply();
  };

  /** The tokens before and after t in its branch, through the parents it forks from. */
  Explorer.prototype.context = function (t, before, after) {
    var data = this.data, self = this;
    function previous(u) {
      var b = data.branches[self.branchOf[u]];
      return u > b.start ? u - 1 : (b.fork === null || b.fork === undefined ? -1 : b.fork);
    }
    var left = [], u = t;
    while (left.length < before && (u = previous(u)) >= 0) left.unshift(u);
    var b = data.branches[this.branchOf[t]], right = [];
    for (var v = t + 1; v < b.start + b.count && right.length < after; v++) right.push(v);
    return { before: left, after: right };
  };

  Explorer.prototype.describe = function (t) {
    var data = this.data, b = data.branches[this.branchOf[t]];
    return b.label + (b.label === b.id ? '' : ' (' + b.id + ')') + ' · token ' + this.indexOf[t] + ' · position ' + data.position[t] +
      ' · norm ' + data.norm[t] + (this.massive.has(t) ? ' · massive activation' : '');
  };

  /** A token in its context as spans: the token marked, its neighbours dimmed. */
  Explorer.prototype.inContext = function (t) {
    var span = el('span', { class: 'fs-context' }), data = this.data, ctx = this.context(t, 4, 3);
    ctx.before.forEach(function (u) { span.appendChild(el('span', { class: 'ctx' }, visible(data.text[u]))); });
    span.appendChild(el('mark', {}, visible(data.text[t])));
    ctx.after.forEach(function (u) { span.appendChild(el('span', { class: 'ctx' }, visible(data.text[u]))); });
    return span;
  };

  Explorer.prototype.buildPanel = function () {
    var self = this, data = this.data;
    var form = el('form', { class: 'explorer', 'aria-label': 'Explore the plots' });
    form.addEventListener('submit', function (e) { e.preventDefault(); });
    var row = el('div', { class: 'fs-controls' });
    function field(label, control) {
      var id = control.getAttribute('id');
      var wrap = el('span', { class: 'fs-field' });
      wrap.appendChild(el('label', { for: id }, label));
      wrap.appendChild(control);
      row.appendChild(wrap);
      return control;
    }
    this.query = field('Find tokens', el('input', { id: 'fs-q', type: 'search', placeholder: 'text or /regex/', autocomplete: 'off', spellcheck: 'false' }));
    var timer = null;
    this.query.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.state.q = self.query.value; self.apply(); }, 150);
    });
    this.colour = field('Colour by', el('select', { id: 'fs-colour' }));
    var clustered = data.plots.some(function (p) { return !!p.cluster; });
    COLOURINGS.forEach(function (c) {
      if (c === 'cluster' && !clustered) return;
      self.colour.appendChild(el('option', { value: c }, c === 'root' ? 'root prompt' : c));
    });
    this.colour.addEventListener('change', function () { self.state.colour = self.colour.value; self.apply(); });
    this.only = field('Show only', el('select', { id: 'fs-only' }));
    this.only.appendChild(el('option', { value: '' }, 'every branch'));
    var roots = el('optgroup', { label: 'Root prompts' }), branches = el('optgroup', { label: 'Branches' });
    data.roots.forEach(function (r) { roots.appendChild(el('option', { value: r.id }, visible(r.title))); });
    data.branches.forEach(function (b) {
      if (data.roots.some(function (r) { return r.id === b.id; })) return;
      branches.appendChild(el('option', { value: b.id }, visible(b.label === b.id ? b.id : b.label + ' (' + b.id + ')')));
    });
    if (roots.children.length > 1) this.only.appendChild(roots);
    if (branches.children.length) this.only.appendChild(branches);
    this.only.addEventListener('change', function () { self.state.only = self.only.value; self.apply(); });
    this.mode = field('Drag to', el('select', { id: 'fs-mode' }));
    [['pan', 'pan'], ['box', 'select a box'], ['lasso', 'select with a lasso']].forEach(function (m) {
      self.mode.appendChild(el('option', { value: m[0] }, m[1]));
    });
    var reset = el('button', { type: 'button', class: 'fs-reset' }, 'Reset zoom');
    reset.addEventListener('click', function () { self.state.zoom = []; self.apply(); });
    row.appendChild(reset);
    var unpin = el('button', { type: 'button', class: 'fs-unpin' }, 'Unpin');
    unpin.addEventListener('click', function () { self.pin(-1); });
    row.appendChild(unpin);
    form.appendChild(row);
    this.scale = el('div', { class: 'fs-scale', hidden: '' });
    form.appendChild(this.scale);
    this.status = el('p', { class: 'fs-status', role: 'status', 'aria-live': 'polite' });
    form.appendChild(this.status);
    this.pinInfo = el('p', { class: 'fs-pin' });
    form.appendChild(this.pinInfo);
    this.list = el('details', { class: 'fs-matches', hidden: '' });
    this.list.appendChild(el('summary', {}, 'Matching tokens'));
    this.listItems = el('ol');
    this.list.appendChild(this.listItems);
    form.appendChild(this.list);
    this.selectionBox = el('section', { class: 'fs-selection', hidden: '', 'aria-label': 'Selected tokens' });
    form.appendChild(this.selectionBox);
    var help = el('details', { class: 'fs-help' });
    help.appendChild(el('summary', {}, 'How to explore'));
    row.appendChild(help);
    help.appendChild(el('p', { class: 'howto' },
      'Scroll or pinch over a plot to zoom, drag to pan (or to select, as chosen above; shift-drag selects a box), double-click to reset. ' +
      'A focused plot takes + and − to zoom, the arrow keys to pan and 0 to reset; elsewhere ← and → go to the previous and next layer. ' +
      'Click a token to pin it in every plot and on every layer. The address keeps the view: share it to share what you see.'));
    var figs = document.querySelector('.figs');
    figs.parentNode.insertBefore(form, document.querySelector('.position-pair') || figs);
    this.tip = el('div', { class: 'fs-tip', hidden: '', role: 'tooltip' });
    document.body.appendChild(this.tip);
  };

  Explorer.prototype.updatePanel = function (error) {
    var self = this, data = this.data, state = this.state;
    if (this.query.value !== state.q) this.query.value = state.q;
    this.colour.value = state.colour;
    this.only.value = this.keep ? state.only : '';
    // The status line, read by screen readers: the search's count, the colouring, the isolation.
    var parts = [];
    if (error) parts.push('Not a regular expression: ' + error);
    else if (state.q) {
      var branches = new Set(this.found.map(function (t) { return self.branchOf[t]; }));
      parts.push(this.found.length + ' token' + (this.found.length === 1 ? '' : 's') + ' match' + (this.found.length === 1 ? 'es' : '') +
        (this.found.length ? ' in ' + branches.size + ' branch' + (branches.size === 1 ? '' : 'es') : ''));
    }
    if (this.keep) parts.push('showing only ' + visible(state.only));
    this.status.textContent = parts.join('; ');
    this.status.setAttribute('data-count', String(this.found.length));
    // The list of matches, each a button that pins its token.
    this.listItems.textContent = '';
    this.list.hidden = !state.q || !this.found.length;
    this.found.slice(0, LISTED).forEach(function (t) {
      var li = el('li'), button = el('button', { type: 'button', 'data-t': String(t) });
      button.appendChild(self.inContext(t));
      button.appendChild(el('span', { class: 'fs-where' }, ' ' + self.describe(t)));
      button.addEventListener('click', function () { self.pin(t); });
      li.appendChild(button);
      self.listItems.appendChild(li);
    });
    if (this.found.length > LISTED) this.listItems.appendChild(el('li', {}, 'and ' + (this.found.length - LISTED) + ' more, marked in the plots'));
    // The pinned token: what and where, with its row in its branch's table.
    this.pinInfo.textContent = '';
    if (this.pinned >= 0) {
      var t = this.pinned, b = data.branches[this.branchOf[t]];
      var missing = this.plots.filter(function (p) { return p.at(t) === null; }).map(function (p) { return p.p.title; });
      this.pinInfo.appendChild(document.createTextNode('Pinned: '));
      this.pinInfo.appendChild(this.inContext(t));
      this.pinInfo.appendChild(document.createTextNode(' ' + this.describe(t) + '. '));
      this.pinInfo.appendChild(el('a', { href: b.href + '#t' + this.indexOf[t] }, 'Its row in the token table'));
      this.pinInfo.appendChild(document.createTextNode(missing.length ? '. Not in ' + missing.length + ' of ' + this.plots.length + ' plots (its view leaves it out).' : '.'));
    } else if (state.pin) {
      this.pinInfo.textContent = 'No token ' + state.pin.index + ' in a branch ' + visible(state.pin.branch) + ' in this run.';
    }
    this.drawScale();
  };

  /** The colour scale: a gradient with its ends for position and norm, swatches for categories. */
  Explorer.prototype.drawScale = function () {
    var c = this.colours, mode = this.state.colour, box = this.scale, data = this.data;
    box.textContent = '';
    box.hidden = mode === 'branch';
    if (c.scale) {
      box.appendChild(el('span', {}, shortNumber(c.scale.lo) + (c.scale.clipped ? ' or less' : '')));
      var bar = el('span', { class: 'fs-bar', role: 'img', 'aria-label': mode + ' from ' + shortNumber(c.scale.lo) + ' (dark purple) to ' + shortNumber(c.scale.hi) + ' (yellow)' });
      bar.style.background = 'linear-gradient(to right, ' + VIRIDIS.join(', ') + ')';
      box.appendChild(bar);
      box.appendChild(el('span', {}, shortNumber(c.scale.hi) + (c.scale.clipped ? ' or more' : '') + ' (' + mode + ')'));
    } else if (mode === 'root') {
      data.roots.slice(0, 18).forEach(function (r, i) { box.appendChild(swatch(categorical(i), visible(r.title))); });
    } else if (mode === 'cluster') {
      box.appendChild(swatch(NONE, 'unclustered or not clustered'));
      box.appendChild(el('span', {}, 'each plot coloured by its own view\u2019s clusters (the Clusters section below)'));
    }
    function swatch(colour, text) {
      var s = el('span', { class: 'fs-key' }), dot = el('span', { class: 'swatch' });
      dot.style.background = colour;
      s.appendChild(dot);
      s.appendChild(document.createTextNode(text));
      return s;
    }
  };

  Explorer.prototype.showSelection = function (plot, tokens, shape) {
    var self = this, data = this.data, box = this.selectionBox;
    this.selection = tokens.length ? { plot: plot, tokens: tokens, set: new Set(tokens) } : null;
    box.textContent = '';
    box.hidden = !this.selection;
    this.plots.forEach(function (p) { p.draw(); });
    if (!this.selection) { this.status.textContent = 'No token in the selection.'; return; }
    box.setAttribute('data-plot', plot.p.id);
    box.setAttribute('data-shape', shape);
    var rows = [['branch', 'token_index', 'position', 'token', 'norm', plot.p.id + '_x', plot.p.id + '_y']];
    tokens.forEach(function (t) {
      rows.push([data.branches[self.branchOf[t]].id, self.indexOf[t], data.position[t], data.text[t], data.norm[t], plot.p.x[t], plot.p.y[t]]);
    });
    var heading = el('h2', {}, tokens.length + ' token' + (tokens.length === 1 ? '' : 's') + ' selected in ' + plot.p.title);
    box.appendChild(heading);
    var download = el('button', { type: 'button', class: 'fs-download' }, 'Download CSV');
    download.addEventListener('click', function () {
      var url = URL.createObjectURL(new Blob([csv(rows)], { type: 'text/csv' }));
      var a = el('a', { href: url, download: 'layer-' + data.layer + '-' + plot.p.id + '-selection.csv' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    });
    box.appendChild(download);
    var clear = el('button', { type: 'button', class: 'fs-clear' }, 'Clear selection');
    clear.addEventListener('click', function () { self.showSelection(plot, [], shape); self.status.textContent = 'Selection cleared.'; });
    box.appendChild(clear);
    var table = el('table', { class: 'fs-selected' }), head = el('tr');
    ['Branch', 'Token', 'Position', 'Text', 'Norm'].forEach(function (h) { head.appendChild(el('th', {}, h)); });
    table.appendChild(el('thead')).appendChild(head);
    var body = el('tbody');
    rows.slice(1, 501).forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('td', {}, visible(r[0])));
      tr.appendChild(el('td', { class: 'num' }, String(r[1])));
      tr.appendChild(el('td', { class: 'num' }, String(r[2])));
      tr.appendChild(el('td')).appendChild(el('code', { class: 'tok' }, visible(r[3])));
      tr.appendChild(el('td', { class: 'num' }, String(r[4])));
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
    if (tokens.length > 500) box.appendChild(el('p', { class: 'howto' }, 'The first 500 are listed; the CSV has all ' + tokens.length + '.'));
    this.status.textContent = heading.textContent + '.';
  };

  Explorer.prototype.showTip = function (t, clientX, clientY) {
    var tip = this.tip;
    if (t < 0) { tip.hidden = true; return; }
    tip.textContent = '';
    tip.appendChild(this.inContext(t));
    tip.appendChild(el('span', { class: 'fs-where' }, this.describe(t)));
    tip.hidden = false;
    var x = Math.min(clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    var y = clientY + 16 + tip.offsetHeight > window.innerHeight ? clientY - tip.offsetHeight - 12 : clientY + 16;
    tip.style.left = Math.max(4, x) + 'px';
    tip.style.top = Math.max(4, y) + 'px';
  };

  /** ←/→ to the previous/next layer (outside plots and form fields), keeping the state. */
  Explorer.prototype.bindPage = function () {
    var self = this, data = this.data;
    window.addEventListener('hashchange', function () {
      if (self.writing) return;
      self.state = parseFragment(location.hash);
      self.apply();
    });
    document.addEventListener('keydown', function (e) {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      if (e.target.closest && e.target.closest('input, select, textarea, button, svg[data-plot], [contenteditable]')) return;
      var i = data.layers.indexOf(data.layer) + (e.key === 'ArrowLeft' ? -1 : e.key === 'ArrowRight' ? 1 : 0);
      if (i === data.layers.indexOf(data.layer) || i < 0 || i >= data.layers.length) return;
      e.preventDefault();
      location.href = data.layerHrefs[i] + (self.crossLayer ? '#' + self.crossLayer : '');
    });
  };

  // ---- One scatter plot -----------------------------------------------------------------------

  function PlotView(explorer, p, svg, index) {
    this.x = explorer;
    this.index = index;
    this.p = p;
    this.svg = svg;
    var f = p.frame;
    this.inner = { x0: f.left + f.inset, x1: f.left + f.width - f.inset, y0: f.top + f.inset, y1: f.top + f.height - f.inset };
    this.base = { x0: f.xMin, y0: f.yMin, x1: f.xMin + (f.width - 2 * f.inset) / f.scale, y1: f.yMin + (f.height - 2 * f.inset) / f.scale };
    this.window = this.base;
    this.tokens = [];
    for (var t = 0; t < p.x.length; t++) if (p.x[t] !== null && p.y[t] !== null) this.tokens.push(t);
    this.canvasMode = this.tokens.length > SVG_POINTS;
    // Marker size as the static plot's (ScatterPlot.MarkerLook), from the tokens drawn.
    var ratio = Math.max(1, this.tokens.length / 150);
    this.radius = Math.max(1.5, 3.2 / Math.pow(ratio, 0.25));
    this.opacity = Math.max(0.35, 0.9 / Math.pow(ratio, 1 / 3));
    this.visible = false;
    this.dirty = true;
    this.build();
    this.bind();
    explorer.observe(this);
  }

  PlotView.prototype.at = function (t) {
    return this.p.x[t] === null ? null : [this.p.x[t], this.p.y[t]];
  };

  PlotView.prototype.build = function () {
    var svg = this.svg, f = this.p.frame, id = 'fs-clip-' + this.index;
    svg.setAttribute('tabindex', '0');
    svg.querySelectorAll('.series use > title').forEach(function (t) { t.remove(); });
    var defs = svgEl('defs'), clip = svgEl('clipPath', { id: id });
    clip.appendChild(svgEl('rect', { x: f.left, y: f.top, width: f.width, height: f.height }));
    defs.appendChild(clip);
    svg.appendChild(defs);
    this.axes = svgEl('g', { class: 'fs-axes' });
    svg.appendChild(this.axes);
    this.live = svgEl('g', { class: 'fs-live', 'clip-path': 'url(#' + id + ')' });
    this.lines = svgEl('g', { class: 'fs-lines' });
    this.live.appendChild(this.lines);
    if (this.canvasMode) {
      this.object = svgEl('foreignObject', { x: f.left, y: f.top, width: f.width, height: f.height, class: 'fs-canvas' });
      this.canvas = document.createElementNS(XHTML, 'canvas');
      this.object.appendChild(this.canvas);
      this.live.appendChild(this.object);
    } else {
      this.points = svgEl('g', { class: 'fs-points' });
      this.live.appendChild(this.points);
      this.circles = null;
    }
    svg.appendChild(this.live);
    this.hover = svgEl('g', { class: 'fs-hover', 'clip-path': 'url(#' + id + ')' });
    svg.appendChild(this.hover);
    this.marks = svgEl('g', { class: 'fs-marks' });
    svg.appendChild(this.marks);
    this.band = svgEl('path', { class: 'fs-band' });
    svg.appendChild(this.band);
  };

  /** Sets the data window (null: the static frame's), widened to the frame's aspect about its centre. */
  PlotView.prototype.setWindow = function (w) {
    if (!w) { this.window = this.base; return; }
    var iw = this.inner.x1 - this.inner.x0, ih = this.inner.y1 - this.inner.y0;
    var baseK = iw / (this.base.x1 - this.base.x0);
    var k = Math.min(iw / (w.x1 - w.x0), ih / (w.y1 - w.y0));
    k = Math.min(baseK * 500, Math.max(baseK / 20, k));
    var cx = (w.x0 + w.x1) / 2, cy = (w.y0 + w.y1) / 2;
    this.window = { x0: cx - iw / (2 * k), x1: cx + iw / (2 * k), y0: cy - ih / (2 * k), y1: cy + ih / (2 * k) };
  };

  PlotView.prototype.isZoomed = function () {
    var w = this.window, b = this.base, eps = (b.x1 - b.x0) * 1e-6;
    return Math.abs(w.x0 - b.x0) > eps || Math.abs(w.x1 - b.x1) > eps || Math.abs(w.y0 - b.y0) > eps || Math.abs(w.y1 - b.y1) > eps;
  };

  /** viewBox units per data unit. */
  PlotView.prototype.k = function () {
    return (this.inner.x1 - this.inner.x0) / (this.window.x1 - this.window.x0);
  };

  PlotView.prototype.toView = function (x, y) {
    var k = this.k();
    return [this.inner.x0 + (x - this.window.x0) * k, this.inner.y1 - (y - this.window.y0) * k];
  };

  PlotView.prototype.toData = function (vx, vy) {
    var k = this.k();
    return [this.window.x0 + (vx - this.inner.x0) / k, this.window.y0 + (this.inner.y1 - vy) / k];
  };

  PlotView.prototype.clamp = function (v) {
    var f = this.p.frame;
    return [Math.min(f.left + f.width, Math.max(f.left, v[0])), Math.min(f.top + f.height, Math.max(f.top, v[1]))];
  };

  PlotView.prototype.inside = function (v) {
    var f = this.p.frame;
    return v[0] >= f.left && v[0] <= f.left + f.width && v[1] >= f.top && v[1] <= f.top + f.height;
  };

  /** The static drawing shows the plot as long as the view is its own: whole frame, branch colours, everything. */
  PlotView.prototype.isLive = function () {
    var s = this.x.state;
    return this.isZoomed() || s.colour !== 'branch' || !!this.x.keep;
  };

  PlotView.prototype.draw = function () {
    this.drawMarks();
    if (!this.visible) { this.dirty = true; return; }
    this.dirty = false;
    var live = this.isLive();
    this.svg.classList.toggle('fs-live-on', live);
    this.svg.classList.toggle('fs-zoomed', this.isZoomed());
    if (live) { this.drawAxes(); this.drawLive(); } else { this.axes.textContent = ''; this.lines.textContent = ''; this.clearPoints(); }
  };

  /** Grid and tick labels for the window, one step for both axes (as PlotFrame.axes). */
  PlotView.prototype.drawAxes = function () {
    var g = this.axes, f = this.p.frame, w = this.window, self = this;
    g.textContent = '';
    var long = Math.max(w.x1 - w.x0, w.y1 - w.y0), short = Math.min(w.x1 - w.x0, w.y1 - w.y0);
    var step = Math.min(niceStep(long / 5), niceStepBelow(short / 2));
    ticks(w.x0, w.x1, step).forEach(function (v) {
      var x = fixed(self.toView(v, 0)[0]);
      g.appendChild(svgEl('line', { class: 'grid', x1: x, y1: f.top, x2: x, y2: f.top + f.height }));
      var label = svgEl('text', { class: 'tick', x: x, y: f.top + f.height + 13, 'text-anchor': 'middle' });
      label.textContent = tickLabel(v, step);
      g.appendChild(label);
    });
    ticks(w.y0, w.y1, step).forEach(function (v) {
      var y = fixed(self.toView(0, v)[1]);
      g.appendChild(svgEl('line', { class: 'grid', x1: f.left, y1: y, x2: f.left + f.width, y2: y }));
      var label = svgEl('text', { class: 'tick', x: f.left - 4, y: y + 3.5, 'text-anchor': 'end' });
      label.textContent = tickLabel(v, step);
      g.appendChild(label);
    });
  };

  /** Every token of the plot at the window: lines per branch, then points coloured by the state. */
  PlotView.prototype.drawLive = function () {
    var x = this.x, data = x.data, p = this.p, self = this, keep = x.keep, colours = x.colours;
    var byBranch = x.state.colour === 'branch';
    // Lines: each branch's tokens in order from the token it forks after, in its colour (grey
    // when colouring by something else, or when the branch is not shown alone).
    var paths = [];
    data.branches.forEach(function (b, i) {
      var pts = self.branchPoints(i);
      if (pts.length < 2) return;
      var faded = keep && !keep[b.start];
      paths.push({ pts: pts, colour: faded || !byBranch ? NONE : b.colour, neutral: faded || !byBranch, faded: faded, branch: i });
    });
    this.lines.textContent = '';
    if (this.canvasMode) { this.paint(paths); return; }
    paths.forEach(function (path) {
      // Lines not in their branch's colour take the theme's (light or dark) from the style sheet.
      var line = svgEl('polyline', {
        class: 'fs-line b' + path.branch + (path.faded ? ' is-faded' : '') + (path.neutral ? ' is-neutral' : ''),
        points: polylinePoints(path.pts)
      });
      if (!path.neutral) line.setAttribute('stroke', path.colour);
      self.lines.appendChild(line);
    });
    if (!this.circles) {
      this.circles = [];
      this.tokens.forEach(function (t) {
        var c = svgEl('circle', { 'data-t': String(t), r: fixed(self.radius) });
        self.circles.push(c);
        self.points.appendChild(c);
      });
    }
    this.points.setAttribute('fill-opacity', fixed(this.opacity * 100) / 100);
    this.tokens.forEach(function (t, i) {
      var c = self.circles[i], v = self.toView(p.x[t], p.y[t]), shown = self.clamp(v);
      c.setAttribute('cx', fixed(shown[0]));
      c.setAttribute('cy', fixed(shown[1]));
      var faded = keep && !keep[t];
      var colour = faded ? NONE : colours.fill(t, p);
      c.setAttribute('fill', colour);
      c.setAttribute('stroke', colour);
      c.setAttribute('class', 'fs-pt' + (faded ? ' is-faded' : '') + (self.inside(v) ? '' : ' fs-out'));
    });
  };

  PlotView.prototype.clearPoints = function () {
    if (this.canvas) { this.canvas.width = 0; this.canvas.height = 0; }
    if (this.points) { this.points.textContent = ''; this.circles = null; }
  };

  /** The canvas behind a large plot's marks: its lines and every point, at the screen's resolution. */
  PlotView.prototype.paint = function (paths) {
    var f = this.p.frame, x = this.x, p = this.p, keep = x.keep, self = this;
    // Two canvas pixels per viewBox unit (a plot is drawn about 0.8 CSS pixels per unit), times
    // the screen's density: sharp when zoomed by the page, and no layout read to find the size.
    var s = 2 * Math.max(1, window.devicePixelRatio || 1);
    var canvas = this.canvas;
    canvas.width = Math.max(1, Math.round(f.width * s));
    canvas.height = Math.max(1, Math.round(f.height * s));
    canvas.style.width = f.width + 'px';
    canvas.style.height = f.height + 'px';
    var ctx = canvas.getContext('2d');
    ctx.setTransform(s, 0, 0, s, -f.left * s, -f.top * s);
    ctx.lineWidth = 0.8;
    paths.forEach(function (path) {
      ctx.globalAlpha = path.faded ? 0.12 : 0.32;
      ctx.strokeStyle = path.colour;
      ctx.beginPath();
      path.pts.forEach(function (v, i) { if (i) ctx.lineTo(v[0], v[1]); else ctx.moveTo(v[0], v[1]); });
      ctx.stroke();
    });
    var r = this.radius, groups = new Map();
    // One path per colour (faded tokens first, so the kept ones are drawn over them).
    if (keep) groups.set('faded', []);
    this.tokens.forEach(function (t) {
      var key = keep && !keep[t] ? 'faded' : x.colours.fill(t, p);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(self.clamp(self.toView(p.x[t], p.y[t])));
    });
    groups.forEach(function (points, key) {
      ctx.globalAlpha = key === 'faded' ? 0.15 : self.opacity;
      ctx.fillStyle = key === 'faded' ? NONE : key;
      ctx.beginPath();
      points.forEach(function (v) { ctx.moveTo(v[0] + r, v[1]); ctx.arc(v[0], v[1], r, 0, 2 * Math.PI); });
      ctx.fill();
    });
  };

  /** Search matches, the selection and the pinned token (with its branch's line), over everything. */
  PlotView.prototype.drawMarks = function () {
    var x = this.x, p = this.p, self = this, g = this.marks;
    g.textContent = '';
    function mark(t, cls, r) {
      if (p.x[t] === null) return;
      var v = self.clamp(self.toView(p.x[t], p.y[t]));
      g.appendChild(svgEl('circle', { class: 'fs-mark ' + cls, 'data-t': String(t), cx: fixed(v[0]), cy: fixed(v[1]), r: r }));
    }
    var drawn = 0;
    x.found.forEach(function (t) { if (drawn < MARKS && p.x[t] !== null) { mark(t, 'is-match', fixed(this.radius + 2.2)); drawn++; } }, this);
    if (x.selection) {
      var shown = 0;
      x.selection.tokens.forEach(function (t) { if (shown < MARKS && p.x[t] !== null) { mark(t, 'is-selected', fixed(self.radius + 1.2)); shown++; } });
    }
    var t = x.pinned;
    if (t >= 0 && p.x[t] !== null) {
      var line = this.branchLine(x.branchOf[t], 'fs-pin-line');
      if (line) { line.setAttribute('clip-path', this.live.getAttribute('clip-path')); g.appendChild(line); }
      mark(t, 'is-pinned', 7);
    }
    this.drawHover();
  };

  /** A branch's line at the window, from the token it forks after, or null under two points. */
  /** A branch's tokens in this plot at the window, in order from the token it forks after (viewBox units). */
  PlotView.prototype.branchPoints = function (branch) {
    var p = this.p, b = this.x.data.branches[branch], pts = [];
    if (b.fork !== null && b.fork !== undefined && p.x[b.fork] !== null) pts.push(this.toView(p.x[b.fork], p.y[b.fork]));
    for (var u = b.start; u < b.start + b.count; u++) if (p.x[u] !== null) pts.push(this.toView(p.x[u], p.y[u]));
    return pts;
  };

  /** A branch's line at the window, or null under two points. */
  PlotView.prototype.branchLine = function (branch, cls) {
    var pts = this.branchPoints(branch);
    return pts.length < 2 ? null : svgEl('polyline', { class: cls, stroke: this.x.data.branches[branch].colour, points: polylinePoints(pts) });
  };

  PlotView.prototype.drawHover = function () {
    this.hover.textContent = '';
    var line = this.x.hovered >= 0 ? this.branchLine(this.x.hovered, 'fs-hover-line') : null;
    if (line) this.hover.appendChild(line);
  };

  /** The token nearest a viewBox point within `reach` viewBox units, or -1. */
  PlotView.prototype.nearest = function (vx, vy, reach) {
    var p = this.p, best = -1, bestD = reach * reach, self = this;
    this.tokens.forEach(function (t) {
      var v = self.clamp(self.toView(p.x[t], p.y[t])), dx = v[0] - vx, dy = v[1] - vy, d = dx * dx + dy * dy;
      if (d <= bestD) { bestD = d; best = t; }
    });
    return best;
  };

  PlotView.prototype.viewPoint = function (e) {
    var m = this.svg.getScreenCTM();
    if (!m) return [0, 0];
    var pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return [pt.x, pt.y];
  };

  /** viewBox units per screen pixel. */
  PlotView.prototype.unit = function () {
    var rect = this.svg.getBoundingClientRect();
    return rect.width ? this.svg.viewBox.baseVal.width / rect.width : 1;
  };

  /** Zooms by `factor` about a viewBox point. */
  PlotView.prototype.zoomAbout = function (v, factor) {
    var c = this.toData(v[0], v[1]), w = this.window;
    this.setWindow({ x0: c[0] + (w.x0 - c[0]) / factor, x1: c[0] + (w.x1 - c[0]) / factor, y0: c[1] + (w.y0 - c[1]) / factor, y1: c[1] + (w.y1 - c[1]) / factor });
    this.x.zoomed(this, this.isZoomed() ? this.window : null);
  };

  PlotView.prototype.panBy = function (dvx, dvy) {
    var k = this.k(), w = this.window;
    this.setWindow({ x0: w.x0 - dvx / k, x1: w.x1 - dvx / k, y0: w.y0 + dvy / k, y1: w.y1 + dvy / k });
    this.x.zoomed(this, this.isZoomed() ? this.window : null);
  };

  PlotView.prototype.bind = function () {
    var self = this, svg = this.svg, x = this.x, pointers = new Map(), drag = null;
    svg.addEventListener('wheel', function (e) {
      e.preventDefault();
      var delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      self.zoomAbout(self.viewPoint(e), Math.exp(-delta * 0.002));
    }, { passive: false });
    svg.addEventListener('dblclick', function (e) { e.preventDefault(); self.setWindow(null); x.zoomed(self, null); });
    svg.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) return;
      pointers.set(e.pointerId, self.viewPoint(e));
      svg.setPointerCapture(e.pointerId);
      var mode = e.shiftKey ? 'box' : e.altKey ? 'lasso' : x.mode.value;
      drag = { mode: pointers.size > 1 ? 'pinch' : mode, start: self.viewPoint(e), last: self.viewPoint(e), path: [self.viewPoint(e)], moved: false };
      x.showTip(-1);
    });
    svg.addEventListener('pointermove', function (e) {
      var v = self.viewPoint(e);
      if (!drag) {
        var t = self.nearest(v[0], v[1], 8 * self.unit());
        x.showTip(t, e.clientX, e.clientY);
        x.emphasise(t >= 0 ? x.branchOf[t] : -1);
        svg.style.cursor = t >= 0 ? 'pointer' : '';
        return;
      }
      var was = Array.from(pointers.values());
      pointers.set(e.pointerId, v);
      if (Math.abs(v[0] - drag.start[0]) + Math.abs(v[1] - drag.start[1]) > 3 * self.unit()) drag.moved = true;
      if (pointers.size > 1) {
        // Pinch: the change in distance between two pointers scales the window about their midpoint.
        var now = Array.from(pointers.values());
        var d0 = Math.hypot(was[0][0] - was[1][0], was[0][1] - was[1][1]), d1 = Math.hypot(now[0][0] - now[1][0], now[0][1] - now[1][1]);
        if (d0 > 0 && d1 > 0) self.zoomAbout([(now[0][0] + now[1][0]) / 2, (now[0][1] + now[1][1]) / 2], d1 / d0);
        drag.mode = 'pinch';
        return;
      }
      if (drag.mode === 'pan') {
        self.panBy(v[0] - drag.last[0], v[1] - drag.last[1]);
      } else if (drag.mode === 'box') {
        var a = drag.start;
        self.band.setAttribute('d', 'M' + fixed(a[0]) + ',' + fixed(a[1]) + 'H' + fixed(v[0]) + 'V' + fixed(v[1]) + 'H' + fixed(a[0]) + 'Z');
      } else if (drag.mode === 'lasso') {
        drag.path.push(v);
        self.band.setAttribute('d', 'M' + drag.path.map(function (q) { return fixed(q[0]) + ',' + fixed(q[1]); }).join('L') + 'Z');
      }
      drag.last = v;
    });
    function end(e) {
      pointers.delete(e.pointerId);
      if (!drag || pointers.size) return;
      var d = drag;
      drag = null;
      self.band.setAttribute('d', '');
      if (!d.moved) {
        if (e.type === 'pointerup' && d.mode !== 'pinch') x.pin(self.nearest(d.start[0], d.start[1], 8 * self.unit()));
        return;
      }
      if (d.mode === 'box') {
        var a = self.toData(d.start[0], d.start[1]), b = self.toData(d.last[0], d.last[1]);
        self.select({ x0: Math.min(a[0], b[0]), x1: Math.max(a[0], b[0]), y0: Math.min(a[1], b[1]), y1: Math.max(a[1], b[1]) }, null);
      } else if (d.mode === 'lasso' && d.path.length > 2) {
        self.select(null, d.path.map(function (q) { return self.toData(q[0], q[1]); }));
      }
    }
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
    svg.addEventListener('pointerleave', function () { if (!drag) { x.showTip(-1); x.emphasise(-1); } });
    svg.addEventListener('keydown', function (e) {
      var c = [(self.inner.x0 + self.inner.x1) / 2, (self.inner.y0 + self.inner.y1) / 2], step = (self.inner.x1 - self.inner.x0) / 10;
      var handled = true;
      if (e.key === '+' || e.key === '=') self.zoomAbout(c, 1.5);
      else if (e.key === '-' || e.key === '_') self.zoomAbout(c, 1 / 1.5);
      else if (e.key === 'ArrowLeft') self.panBy(step, 0);
      else if (e.key === 'ArrowRight') self.panBy(-step, 0);
      else if (e.key === 'ArrowUp') self.panBy(0, step);
      else if (e.key === 'ArrowDown') self.panBy(0, -step);
      else if (e.key === '0') { self.setWindow(null); x.zoomed(self, null); }
      else handled = false;
      if (handled) e.preventDefault();
    });
  };

  /** Selects the plot's tokens in a data-unit box or polygon: the shown ones (not greyed out). */
  PlotView.prototype.select = function (box, polygon) {
    var p = this.p, keep = this.x.keep;
    var tokens = this.tokens.filter(function (t) {
      if (keep && !keep[t]) return false;
      var px = p.x[t], py = p.y[t];
      return box ? px >= box.x0 && px <= box.x1 && py >= box.y0 && py <= box.y1 : insidePolygon(px, py, polygon);
    });
    var shape = box ? 'box:' + [box.x0, box.y0, box.x1, box.y1].map(shortNumber).join(',')
      : 'lasso:' + polygon.map(function (q) { return shortNumber(q[0]) + ' ' + shortNumber(q[1]); }).join(',');
    this.x.showSelection(this, tokens, shape);
  };

  function start() {
    var block = document.getElementById('explore-data');
    if (!block || !document.querySelector('.figs')) return;
    var data;
    try { data = JSON.parse(block.textContent); } catch (e) { return; }
    if (data.format !== 'forkscope.explore/1') return;
    window.forkscopeExplorer = new Explorer(data);
    if (window.performance && performance.mark) performance.mark('forkscope-explorer-ready');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
