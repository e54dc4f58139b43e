// The explorer's pure helpers (Templates/explore.js), under node's own test runner:
//   node --test Tests/Explorer/
// The page-level behaviour is checked in Chromium by Tests/Browser/check_explorer.py.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const x = require(path.join(__dirname, '..', '..', 'Templates', 'explore.js'));

test('a fragment round-trips through parse and format', () => {
  const state = { q: 'a&b=c/ d', pin: { branch: 'p0/b1', index: 7 }, colour: 'position', only: 'root one',
    zoom: [{ plot: 'position_mean+z-pca', x0: -1.5, y0: 2, x1: 3.25, y1: 4 }] };
  const text = x.formatFragment(state, false);
  assert.equal(text.split('&').length, 5, 'every value is encoded: one & per key');
  assert.deepEqual(x.parseFragment('#' + text), state);
});

test('a cross-layer fragment leaves the zoom out', () => {
  const state = x.parseFragment('#q=the&zoom=raw-pca:0,0,1,1');
  assert.equal(x.formatFragment(state, true), 'q=the');
  assert.equal(x.formatFragment(state, false), 'q=the&zoom=raw-pca:0,0,1,1');
});

test('malformed fragment values are ignored, not half-read', () => {
  const s = x.parseFragment('#pin=nobranch&colour=rainbow&zoom=raw-pca:1,1,0,0&zoom=raw-pca:0,0,1&q=%E0%A4%A&only=');
  assert.deepEqual(s, x.emptyState());
  assert.equal(x.parseFragment('#pin=a/-1').pin, null);
  assert.equal(x.parseFragment('#pin=a/1.5').pin, null);
  assert.deepEqual(x.parseFragment('#pin=a/b/12').pin, { branch: 'a/b', index: 12 });
  assert.equal(x.parseFragment('#color=norm').colour, 'norm');
  // A later zoom of the same plot replaces the earlier one.
  assert.deepEqual(x.parseFragment('#zoom=p:0,0,1,1&zoom=p:0,0,2,2').zoom, [{ plot: 'p', x0: 0, y0: 0, x1: 2, y1: 2 }]);
});

test('search: substrings ignore case, /regex/ is a regular expression', () => {
  const texts = ['The', ' the', 'other', 'x', '\n'];
  const hits = (q) => texts.filter(x.matcher(q));
  assert.deepEqual(hits('the'), ['The', ' the', 'other']);
  assert.deepEqual(hits('/^\\s/'), [' the', '\n']);
  assert.deepEqual(hits('/^T/i'), ['The']);
  assert.deepEqual(hits('/^T/'), ['The']);
  assert.deepEqual(hits('T'), ['The', ' the', 'other']);
  assert.equal(x.matcher(''), null);
  assert.throws(() => x.matcher('/(/'), SyntaxError);
  // A global flag would make test() stateful: it is dropped.
  const g = x.matcher('/e/g');
  assert.ok(g('the') && g('the') && g('the'));
});

test('visible text matches TokenText.visible', () => {
  assert.equal(x.visible('a\nb\tc\u0001\u007f'), 'a\u21b5b\u21e5c\u2401\u2421');
  assert.equal(x.visible('x\u202ey\u2066z'), 'x\\u{202E}y\\u{2066}z');
  assert.equal(x.visible('\u0085\ufdd0\uffff'), '\\u{0085}\\u{FDD0}\\u{FFFF}');
  assert.equal(x.visible('😀 é'), '😀 é');
});

test('ticks: nice steps cover the window', () => {
  assert.equal(x.niceStep(3.2), 5);
  assert.equal(x.niceStep(0.011), 0.02);
  assert.equal(x.niceStepBelow(3.2), 2);
  assert.equal(x.niceStepBelow(0.011), 0.01);
  assert.deepEqual(x.ticks(-0.3, 1.05, 0.5), [0, 0.5, 1]);
  assert.deepEqual(x.ticks(-1, 1, 1), [-1, 0, 1]);
  assert.equal(x.tickLabel(0.30000000000000004, 0.1), '0.3');
  assert.equal(x.tickLabel(-0.0000001, 0.5), '0.0');
  assert.equal(x.tickLabel(20, 10), '20');
});

test('point in polygon', () => {
  const square = [[0, 0], [2, 0], [2, 2], [0, 2]];
  assert.ok(x.insidePolygon(1, 1, square));
  assert.ok(!x.insidePolygon(3, 1, square));
  const notch = [[0, 0], [4, 0], [4, 4], [2, 1], [0, 4]];
  assert.ok(!x.insidePolygon(2, 3, notch));
  assert.ok(x.insidePolygon(1, 1, notch));
});

test('viridis runs from dark purple to yellow, lighter all the way', () => {
  assert.equal(x.viridis(0), '#440154');
  assert.equal(x.viridis(1), '#fde725');
  assert.equal(x.viridis(-3), '#440154');
  assert.equal(x.viridis(NaN), '#440154');
  const lum = (h) => [1, 3, 5].map((i) => parseInt(h.substr(i, 2), 16)).reduce((a, c, i) => a + c * [0.2126, 0.7152, 0.0722][i], 0);
  for (let t = 0; t < 1; t += 0.01) assert.ok(lum(x.viridis(t + 0.01)) >= lum(x.viridis(t)) - 1e-9, 'at ' + t);
});

test('quantile interpolates as NumPy', () => {
  assert.equal(x.quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(x.quantile([1, 2, 3, 4], 0.02), 1.06);
  assert.equal(x.quantile([5], 0.9), 5);
});

test('CSV quotes per RFC 4180 and defuses formulas', () => {
  assert.equal(x.csv([['a', 'b,c', 'say "hi"', '=SUM(A1)', 3, -2]]), 'a,"b,c","say ""hi""",\'=SUM(A1),3,-2\r\n');
  assert.equal(x.csv([['line\nbreak']]), '"line\nbreak"\r\n');
});

test('categorical colours: unclustered is grey', () => {
  assert.equal(x.categorical(-1), '#bbbbbb');
  assert.equal(x.categorical(null), '#bbbbbb');
  assert.equal(x.categorical(0), '#CC6677');
  assert.equal(x.categorical(9), '#CC6677');
});
