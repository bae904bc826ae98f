/*
 * web/js/charts.mjs, its pure part: points kept, history merged under
 * live points, axis labels and widths, the screen-reader description.
 * Run by tests/web.test with LC_ALL=en_US.UTF-8 and TZ=UTC.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_POINTS, chartAppend, chartLabel, chartTrim, historyMerge,
    xAxisLabels, yAxisLabels, yAxisSize } from '../../../web/js/charts.mjs';
import { bucketsSet } from '../../../web/js/range.mjs';
import { statNew } from '../../../web/js/source.mjs';

/* A stat record holding points xs/ys. */
function stat(xs, ys) {
	const st = statNew('total');
	st.xs = xs;
	st.ys = ys;
	return st;
}

test('chartAppend: only points later than the last', () => {
	const st = stat([], []);
	assert.equal(chartAppend(st, 10, 1), true);
	assert.equal(chartAppend(st, 10, 2), false);
	assert.equal(chartAppend(st, 9, 3), false);
	assert.equal(chartAppend(st, 11, 4), true);
	assert.deepEqual([st.xs, st.ys], [[10, 11], [1, 4]]);
});

test('chartAppend: in a range, into the buckets, and kept for the answer',
    () => {
	const st = stat([], []);
	st.rangeKey = '15m';
	assert.equal(chartAppend(st, 10, 1), false, 'no window yet');
	assert.deepEqual(st.recent, [[10, 1]]);
	bucketsSet(st, { points: [[0, 2, 1, 3]] },
	    { from: 0, to: 5, step: 10 }, 1);
	/* The value that came before the answer, after it: a bucket. */
	assert.deepEqual([st.xs, st.mins, st.maxs], [[0, 10], [1, 1], [3, 1]]);
	assert.equal(chartAppend(st, 11, 7), true);
	assert.deepEqual([st.xs, st.ys, st.mins, st.maxs],
	    [[0, 10], [2, 4], [1, 1], [3, 7]]);
	assert.equal(chartAppend(st, 11, 8), false);
	assert.equal(st.recent.length, 3);
});

test('chartTrim: at most MAX_POINTS, the newest kept', () => {
	const n = MAX_POINTS + 5;
	const xs = Array.from({ length: n }, (_, i) => i);
	const st = stat(xs, xs.map((x) => x * 2));
	chartTrim(st);
	assert.equal(st.xs.length, MAX_POINTS);
	assert.equal(st.ys.length, MAX_POINTS);
	assert.equal(st.xs[0], 5);
	assert.equal(st.ys[MAX_POINTS - 1], 2 * (n - 1));
});

test('historyMerge: history under the live points, bad points dropped',
    () => {
	const st = stat([30, 40, 50], [3, 4, 5]);
	historyMerge(st, [[10, 1], [20, 2], 'x', [15, 9], [25, 'n'],
	    [null, 1], [40, 40]]);
	assert.deepEqual(st.xs, [10, 20, 40, 50]);
	assert.deepEqual(st.ys, [1, 2, 40, 5]);
	const empty = stat([1, 2], [5, 6]);
	historyMerge(empty, []);
	assert.deepEqual([empty.xs, empty.ys], [[1, 2], [5, 6]]);
});

test('yAxisLabels: in full below 100,000, else the shortest compact form',
    () => {
	assert.deepEqual(yAxisLabels(null, [0, 500, 1000]),
	    ['0', '500', '1,000']);
	assert.deepEqual(yAxisLabels(null, [1000000, 2000000]), ['1M', '2M']);
	assert.deepEqual(yAxisLabels(null, [1200000, 1250000, 1300000]),
	    ['1.2M', '1.25M', '1.3M']);
	assert.deepEqual(yAxisLabels(null, [100000, 100100]),
	    ['100K', '100.1K']);
	/* Not told apart in three decimals: in full. */
	assert.deepEqual(yAxisLabels(null, [1000000, 1000001]),
	    ['1,000,000', '1,000,001']);
});

test('yAxisSize: from the longest label, at least 4 characters', () => {
	assert.equal(yAxisSize(null, null), 40);
	assert.equal(yAxisSize(null, ['1', '10']), 40);
	assert.equal(yAxisSize(null, ['1,000,000', null]), 73);
});

test('xAxisLabels: seconds, minutes, days by tick step', () => {
	const t = Date.parse('2024-05-01T09:05:07Z') / 1000;
	assert.deepEqual(xAxisLabels(null, [t], 0, 0, 10), ['09:05:07']);
	assert.deepEqual(xAxisLabels(null, [t], 0, 0, 60), ['09:05']);
	assert.deepEqual(xAxisLabels(null, [t], 0, 0, 86400), ['May 1']);
});

test('chartLabel: span, count, range and latest', () => {
	assert.equal(chartLabel(stat([], [])), 'total: no history yet');
	assert.equal(chartLabel(stat([100, 160, 345], [5, 1200000, 7])),
	    'total over the last 4 min 5 s: 3 points from 5 to 1.2M, ' +
	    'latest 7');
});
