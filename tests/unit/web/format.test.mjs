/*
 * web/js/format.mjs: numbers, durations, time spans and error kinds as
 * the dashboard shows them.  Run by tests/web.test with LC_ALL=en_US.UTF-8
 * so that Intl formats the English way.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatFull, formatNumber, formatValue, kindLabel,
    secondsBetween } from '../../../web/js/format.mjs';

test('formatNumber: in full, small with 3 digits, compact from 1e6', () => {
	assert.equal(formatNumber(0), '0');
	assert.equal(formatNumber(12345), '12,345');
	assert.equal(formatNumber(0.25), '0.25');
	assert.equal(formatNumber(1.23456), '1.23');
	assert.equal(formatNumber(0.0012345), '0.00123');
	assert.equal(formatNumber(-0.0012345), '-0.00123');
	assert.equal(formatNumber(999999), '999,999');
	assert.equal(formatNumber(1234567), '1.2M');
	assert.equal(formatNumber(-2500000), '-2.5M');
});

test('formatFull: two decimals at most, never compact', () => {
	assert.equal(formatFull(1234567.891), '1,234,567.89');
	assert.equal(formatFull(0.001), '0');
});

test('formatValue: numbers, strings, booleans, null', () => {
	assert.equal(formatValue(1005), '1,005');
	assert.equal(formatValue('fake'), 'fake');
	assert.equal(formatValue(true), 'true');
	assert.equal(formatValue(false), 'false');
	assert.equal(formatValue(null), '–');
	assert.equal(formatValue(undefined), '–');
});

test('formatDuration: seconds, minutes, hours, days', () => {
	const cases = [
		[-5, '0 s'], [0, '0 s'], [12.9, '12 s'], [59, '59 s'],
		[60, '1 min'], [245, '4 min 5 s'], [599, '9 min 59 s'],
		[600, '10 min'], [1500, '25 min'], [3599, '59 min'],
		[3600, '1 h'], [11100, '3 h 5 min'], [86399, '23 h 59 min'],
		[86400, '1 d'], [187200, '2 d 4 h'], [90000, '1 d 1 h']
	];
	for (const [s, want] of cases)
		assert.equal(formatDuration(s), want, `${s} s`);
});

test('secondsBetween: RFC 3339 times, null when either is bad', () => {
	assert.equal(secondsBetween('2024-05-01T10:00:00Z',
	    '2024-05-01T10:00:12.5Z'), 12.5);
	assert.equal(secondsBetween('2024-05-01T10:00:10Z',
	    '2024-05-01T10:00:00Z'), -10);
	assert.equal(secondsBetween('2024-05-01T12:00:00+02:00',
	    '2024-05-01T10:00:01Z'), 1);
	assert.equal(secondsBetween('nope', '2024-05-01T10:00:00Z'), null);
	assert.equal(secondsBetween('2024-05-01T10:00:00Z', undefined), null);
});

test('kindLabel: HTTP status, underscores, default', () => {
	assert.equal(kindLabel({ kind: 'http_status', http_status: 503 }),
	    'HTTP 503');
	assert.equal(kindLabel({ kind: 'http_status' }), 'http status');
	assert.equal(kindLabel({ kind: 'circuit_open' }), 'circuit open');
	assert.equal(kindLabel({ kind: 'connect' }), 'connect');
	assert.equal(kindLabel({}), 'error');
});
