/*
 * web/js/range.mjs: the ranges and their URL fragment, the step and
 * window of a range query, a range answer's buckets and live values
 * folded into them.  Run by tests/web.test with LC_ALL=en_US.UTF-8 and
 * TZ=UTC.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RANGES, bandCount, bucketsAdd, bucketsSet, rangeFind,
    rangeFromHash, rangeHash, rangePath, rangeStep, rangeWindow,
    recentKeep } from '../../../web/js/range.mjs';
import { statNew } from '../../../web/js/source.mjs';

test('RANGES: live, 15 min, 1 h, 6 h, 24 h', () => {
	assert.deepEqual(RANGES.map((r) => [r.key, r.seconds]), [['live', 0],
	    ['15m', 900], ['1h', 3600], ['6h', 21600], ['24h', 86400]]);
	assert.equal(rangeFind('6h').label, '6 h');
	assert.equal(rangeFind('7h'), null);
});

test('rangeFromHash and rangeHash: #range=KEY, live by default', () => {
	for (const r of RANGES)
		assert.equal(rangeFromHash(rangeHash(r)), r);
	assert.equal(rangeHash(rangeFind('live')), '');
	assert.equal(rangeHash(rangeFind('24h')), '#range=24h');
	assert.equal(rangeFromHash('#range=1h').key, '1h');
	assert.equal(rangeFromHash('range=15m').key, '15m');
	assert.equal(rangeFromHash('#x=1&range=6h').key, '6h');
	for (const h of ['', '#', '#range=', '#range=2h', '#range=live',
	    undefined, null])
		assert.equal(rangeFromHash(h).key, 'live', String(h));
});

test('rangeStep: max(interval, range/300) rounded up to a nice step',
    () => {
	assert.deepEqual([900, 3600, 21600, 86400].map((s) =>
	    rangeStep(s, 1)), [5, 15, 120, 300]);
	assert.equal(rangeStep(900, 30), 30);
	assert.equal(rangeStep(900, 7), 10);
	assert.equal(rangeStep(3600, 0), 15);
	assert.equal(rangeStep(86400, 3600), 3600);
	assert.equal(rangeStep(86400 * 400, 1), 86400 * 2);
	for (const r of RANGES.slice(1))
		for (const i of [0.5, 1, 10, 60])
			assert.ok(r.seconds / rangeStep(r.seconds, i) <= 300,
			    `${r.key} at ${i} s`);
});

test('rangeWindow and rangePath: whole seconds up to now', () => {
	const w = rangeWindow(rangeFind('1h'), 1, 1764460800.25);
	assert.deepEqual(w, { from: 1764457201, to: 1764460801, step: 15 });
	assert.equal(rangePath('a b', 'tot&al', w),
	    'sources/a%20b/history?stat=tot%26al&from=1764457201' +
	    '&to=1764460801&step=15');
});

/* A stat with the buckets of an answer over [1000, 1100] at step 10. */
function ranged(points, interval = 1) {
	const st = statNew('total');
	bucketsSet(st, { points }, { from: 1000, to: 1100, step: 10 },
	    interval);
	return st;
}

test('bucketsSet: the answer as arrays, bad buckets dropped', () => {
	const st = ranged([[990, 2, 1, 3], [1000, 5, 5, 5], 'x',
	    [1000, 9, 9, 9], [1010, 'n', 1, 2], [1020, 4, null, 5],
	    [1030, 4, 3, 5, 99], [1020, 1, 1, 1], [1090, 7, 6, 8]]);
	assert.deepEqual(st.xs, [990, 1000, 1030, 1090]);
	assert.deepEqual(st.ys, [2, 5, 4, 7]);
	assert.deepEqual(st.mins, [1, 5, 3, 6]);
	assert.deepEqual(st.maxs, [3, 5, 5, 8]);
	assert.equal(bandCount(st), 3);
	assert.deepEqual(st.win, { from: 1000, to: 1100, step: 10,
		seconds: 100 });
	/* The last bucket is full: [1090, 1100), one point a second. */
	assert.equal(st.lastN, 10);
	assert.equal(ranged([[1100, 1, 1, 1]], 1).lastN, 1);
	assert.equal(ranged([[1090, 1, 1, 1]], 5).lastN, 2);
	assert.equal(ranged([]).lastN, 0);
	assert.equal(ranged(undefined).xs.length, 0);
});

test('bucketsAdd: into the last bucket, or a new one', () => {
	const st = ranged([[1080, 4, 4, 4], [1100, 2, 1, 3]], 5);
	/* [1100, 1100] at 5 s: one point, so 2 then 4 average 3. */
	assert.equal(st.lastN, 1);
	assert.equal(bucketsAdd(st, 1100, 50), false, 'not after the answer');
	assert.equal(bucketsAdd(st, 1105, 4), true);
	assert.deepEqual([st.xs, st.ys, st.mins, st.maxs],
	    [[1080, 1100], [4, 3], [4, 1], [4, 4]]);
	assert.equal(bucketsAdd(st, 1109.5, 0), true);
	assert.deepEqual([st.ys[1], st.mins[1]], [2, 0]);
	assert.equal(bucketsAdd(st, 1110, 7), true);
	assert.deepEqual([st.xs, st.ys, st.mins, st.maxs],
	    [[1080, 1100, 1110], [4, 2, 7], [4, 0, 7], [4, 4, 7]]);
	/* The window follows: [1011, 1111]; then [1081, 1181] drops 1080
	 * (its bucket ends at 1090 > 1081, so it stays) ... */
	assert.equal(st.win.to, 1110);
	assert.equal(bucketsAdd(st, 1180.5, 1), true);
	assert.deepEqual([st.win.from, st.win.to], [1081, 1181]);
	assert.deepEqual(st.xs, [1080, 1100, 1110, 1180]);
	/* ... and 1191 drops it. */
	bucketsAdd(st, 1190.2, 1);
	assert.deepEqual(st.xs, [1100, 1110, 1180, 1190]);
	assert.equal(st.mins.length, 4);
	assert.equal(st.maxs.length, 4);
	assert.equal(bucketsAdd(st, 1150, 1), false, 'older than the last');
	assert.equal(bucketsAdd(statNew('x'), 1, 1), false, 'live: no win');
});

test('recentKeep: values that came during the fetch fold in', () => {
	const st = statNew('total');
	for (let t = 1; t <= 100; t++)
		recentKeep(st, 1000 + t, t);
	assert.equal(st.recent.length, 64);
	assert.deepEqual(st.recent[0], [1037, 37]);
	bucketsSet(st, { points: [[1090, 5, 1, 9]] },
	    { from: 1000, to: 1095, step: 10 }, 1);
	/* 1096..1099 into [1090, 1100): 6 points averaging 5, then four. */
	assert.deepEqual(st.xs, [1090, 1100]);
	assert.equal(st.ys[0], (5 * 6 + 96 + 97 + 98 + 99) / 10);
	assert.deepEqual([st.mins[0], st.maxs[0]], [1, 99]);
	assert.deepEqual([st.ys[1], st.mins[1], st.maxs[1]], [100, 100, 100]);
	assert.equal(bandCount(st), 1);
});
