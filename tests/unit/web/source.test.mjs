/*
 * web/js/source.mjs: what a source's card shows (status, age, problem
 * line, retry countdown, stat order) and the header's counts, for fixed
 * records and times.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ageOf, badgeText, errorOf, problemOf, retryIn, sourceNew,
    statNames, statNew, statusOf, summaryCounts, summaryTitle,
    updatedText } from '../../../web/js/source.mjs';

/* A source record with data d (arrived at 1000 ms) and view op (at 2000). */
function src(d, op) {
	const s = sourceNew('s');
	s.data = d;
	s.at = 1000;
	if (op) {
		s.op = op;
		s.opAt = 2000;
		s.opGenerated = '2024-05-01T10:00:00Z';
	}
	return s;
}

test('new records', () => {
	const s = sourceNew('signups');
	assert.equal(s.name, 'signups');
	assert.equal(s.data, null);
	assert.equal(s.stats.size, 0);
	const st = statNew('total');
	assert.deepEqual([st.name, st.xs, st.ys, st.plot, st.historyFor],
	    ['total', [], [], null, undefined]);
});

test('statusOf: pending, the daemon\'s, expired', () => {
	assert.equal(statusOf(sourceNew('s')), 'pending');
	assert.equal(statusOf(src({})), 'pending');
	assert.equal(statusOf(src({ status: 'ok' })), 'ok');
	assert.equal(statusOf(src({ status: 'stale', expired: true })),
	    'expired');
	/* An error stays an error. */
	assert.equal(statusOf(src({ status: 'error', expired: true })),
	    'error');
});

test('statusOf: expired from a newer operators\' view of the same value',
    () => {
	const d = { status: 'stale', updated_at: '2024-05-01T09:00:00Z' };
	const op = { expired: true, updated_at: d.updated_at };
	assert.equal(statusOf(src(d, op)), 'expired');
	/* The view is older than the data. */
	const older = src(d, op);
	older.opAt = 500;
	assert.equal(statusOf(older), 'stale');
	/* The view is about another value. */
	assert.equal(statusOf(src(d,
	    { expired: true, updated_at: '2024-05-01T09:00:05Z' })), 'stale');
	assert.equal(statusOf(src(d, { expired: 'yes',
	    updated_at: d.updated_at })), 'stale');
});

test('ageOf: the daemon\'s age ticking on, else the wall clock', () => {
	assert.equal(ageOf(src({ status: 'ok' }), 5000, 0), null);
	const d = { updated_at: '2024-05-01T10:00:00Z', age_seconds: 3 };
	assert.equal(ageOf(src(d), 3500, 0), 5.5);
	const wall = Date.parse('2024-05-01T10:00:07Z');
	assert.equal(ageOf(src({ updated_at: '2024-05-01T10:00:00Z' }), 0,
	    wall), 7);
});

test('retryIn: next poll, or the next probe with an open circuit', () => {
	assert.equal(retryIn(src({}), 0), null);
	assert.equal(retryIn(src({}, { status: 'ok' }), 2000), null);
	const op = { next_poll_at: '2024-05-01T10:00:08Z' };
	assert.equal(retryIn(src({}, op), 2000), 8);
	assert.equal(retryIn(src({}, op), 5000), 5);
	const open = {
		next_poll_at: '2024-05-01T10:00:08Z',
		circuit: { state: 'open', next_probe_at: '2024-05-01T10:01:00Z' }
	};
	assert.equal(retryIn(src({}, open), 2000), 60);
	const closed = { next_poll_at: '2024-05-01T10:00:08Z',
	    circuit: { state: 'closed', next_probe_at: '2024-05-01T10:01:00Z' } };
	assert.equal(retryIn(src({}, closed), 2000), 8);
	assert.equal(retryIn(src({}, { next_poll_at: 'soon' }), 2000), null);
});

test('errorOf: the stats entry\'s, else a failing view\'s', () => {
	const e1 = { kind: 'connect' };
	const e2 = { kind: 'timeout' };
	assert.equal(errorOf(src({ error: e1 }, { status: 'error',
	    last_error: e2 })), e1);
	assert.equal(errorOf(src({}, { status: 'error', last_error: e2 })), e2);
	assert.equal(errorOf(src({}, { status: 'ok', last_error: e2 })), null);
	assert.equal(errorOf(src(null)), null);
});

test('badgeText and updatedText', () => {
	assert.equal(badgeText('ok', 12), 'ok');
	assert.equal(badgeText('stale', 12), 'stale · 12 s');
	assert.equal(badgeText('expired', 245), 'expired · 4 min 5 s');
	assert.equal(badgeText('stale', null), 'stale');
	assert.equal(updatedText('ok', 0.4), 'updated 0 s ago');
	assert.equal(updatedText('pending', null),
	    'waiting for the first poll');
	assert.equal(updatedText('error', null), 'no good value yet');
});

test('problemOf: none when ok or without an error', () => {
	const e = { kind: 'connect', message: 'refused' };
	assert.equal(problemOf(src({ error: e }), 'ok', 0), null);
	assert.equal(problemOf(src({}), 'stale', 0), null);
});

test('problemOf: chip, message without the chip, retry countdown', () => {
	const d = { error: { kind: 'http_status', http_status: 503,
	    message: 'HTTP 503 Service Unavailable' } };
	const op = { status: 'error', next_poll_at: '2024-05-01T10:00:08Z' };
	assert.deepEqual(problemOf(src(d, op), 'stale', 2000), {
		kind: 'http_status', label: 'HTTP 503',
		message: 'Service Unavailable', retry: 'retry in 8 s',
		behind: false
	});
	assert.equal(problemOf(src(d, op), 'stale', 9700).retry,
	    'retrying now');
	/* No view: no countdown. */
	assert.equal(problemOf(src(d), 'stale', 0).retry, '');
});

test('problemOf: probes when the circuit is open', () => {
	const d = { error: { kind: 'circuit_open', message: 'open' } };
	const op = { status: 'error', next_poll_at: '2024-05-01T10:00:08Z',
	    circuit: { state: 'open', next_probe_at: '2024-05-01T10:02:05Z' } };
	assert.equal(problemOf(src(d, op), 'error', 2000).retry,
	    'probe in 2 min 5 s');
	assert.equal(problemOf(src(d, op), 'error', 200000).retry,
	    'probing now');
	/* circuit_open alone says probe too. */
	assert.equal(problemOf(src(d, { status: 'error',
	    next_poll_at: '2024-05-01T10:00:08Z' }), 'error', 2000).retry,
	    'probe in 8 s');
});

test('problemOf: behind when the view is over a second late', () => {
	const d = { error: { kind: 'connect' } };
	const op = { status: 'error', next_poll_at: '2024-05-01T10:00:01Z' };
	assert.equal(problemOf(src(d, op), 'stale', 3900).behind, false);
	assert.equal(problemOf(src(d, op), 'stale', 4100).behind, true);
	/* Late, but the view is under two seconds old. */
	const fresh = src(d, { status: 'error',
	    next_poll_at: '2024-05-01T09:59:55Z' });
	assert.equal(problemOf(fresh, 'stale', 3900).behind, false);
	assert.equal(problemOf(fresh, 'stale', 4001).behind, true);
});

test('statNames: the view\'s order first, then the other values', () => {
	const d = { values: { b: 1, z: 2, a: 3 } };
	assert.deepEqual(statNames(src(d), d), ['b', 'z', 'a']);
	assert.deepEqual(statNames(src(d, { stats: ['a', 'c'] }), d),
	    ['a', 'c', 'b', 'z']);
	assert.deepEqual(statNames(src({}), {}), []);
});

test('summaryCounts and summaryTitle', () => {
	const m = new Map();
	const add = (name, d) => m.set(name, src(d));
	add('a', { status: 'ok' });
	add('b', { status: 'ok' });
	add('c', { status: 'stale' });
	add('d', { status: 'error' });
	add('e', { status: 'stale', expired: true });
	add('f', null);
	const c = summaryCounts(m);
	assert.deepEqual(c, { ok: 2, stale: 1, failing: 2, pending: 1 });
	assert.equal(summaryTitle(c), '(2 failing) gatherd');
	assert.equal(summaryTitle({ ok: 1, stale: 3, failing: 0, pending: 0 }),
	    '(3 stale) gatherd');
	assert.equal(summaryTitle(summaryCounts(new Map())), 'gatherd');
});
