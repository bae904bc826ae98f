/*
 * A source as the dashboard holds it, and what its card shows: status,
 * age, the problem line and its retry countdown, the order of its stats,
 * and the overall counts in the header.  Pure: the times are passed in
 * (milliseconds on now()'s clock) and nothing here touches the DOM; the
 * cards module adds a record's elements and draws what these decide.
 */
import { formatDuration, kindLabel, secondsBetween } from './format.mjs';

/* Milliseconds on a clock that never jumps. */
export function now() {
	return performance.now();
}

/* A new source record (no card yet). */
export function sourceNew(name) {
	return {
		name: name,
		data: null, /* its /api/v1/stats entry */
		at: 0, /* now() when data arrived */
		op: null, /* its /api/v1/sources entry */
		opAt: 0,
		opGenerated: null,
		stats: new Map()
	};
}

/* A new stat record (no row yet). */
export function statNew(name) {
	return {
		name: name,
		row: null,
		value: null,
		chartEl: null,
		plot: null,
		xs: [], /* times: points', or buckets' starts in a range */
		ys: [], /* values, or buckets' averages */
		mins: null, /* buckets' minimums and maximums (a range) */
		maxs: null,
		win: null, /* a range's {from, to, step, seconds}; null: live */
		rangeKey: 'live', /* the range the chart shows */
		historyFor: undefined /* started_at and range loaded for */
	};
}

/* The status shown: the daemon's, or "expired" when flagged so. */
export function statusOf(src) {
	var d = src.data;
	if (!d)
		return 'pending';
	/* Crossing max_age changes no value, so no event may come; the
	 * operators' view, refetched while a source fails, says so. */
	var expired = d.expired ||
	    (src.op && src.op.expired === true && src.opAt > src.at &&
	    src.op.updated_at === d.updated_at);
	if (expired && d.status !== 'error')
		return 'expired';
	return d.status || 'pending';
}

/* Seconds since the last success at time t, ticking locally; null if
 * none.  wall is Date.now(), used when the entry carries no age. */
export function ageOf(src, t, wall) {
	var d = src.data;
	if (!d || !d.updated_at)
		return null;
	if (typeof d.age_seconds === 'number')
		return d.age_seconds + (t - src.at) / 1000;
	return (wall - Date.parse(d.updated_at)) / 1000;
}

/* Seconds until the next attempt per the operators' view at time t, or
 * null. */
export function retryIn(src, t) {
	var op = src.op;
	if (!op || !src.opGenerated)
		return null;
	var at = op.circuit && op.circuit.state === 'open' &&
	    op.circuit.next_probe_at ? op.circuit.next_probe_at :
	    op.next_poll_at;
	if (!at)
		return null;
	var left = secondsBetween(src.opGenerated, at);
	if (left === null)
		return null;
	return left - (t - src.opAt) / 1000;
}

/* The error to show: the stats document's, else the operators'. */
export function errorOf(src) {
	var d = src.data;
	if (d && d.error)
		return d.error;
	if (src.op && src.op.status !== 'ok' && src.op.last_error)
		return src.op.last_error;
	return null;
}

/* The badge's text: the status, with the age when stale or expired. */
export function badgeText(status, age) {
	var text = status;
	if ((status === 'stale' || status === 'expired') && age !== null)
		text += ' · ' + formatDuration(age);
	return text;
}

/* The line under the name: how long ago the last good value came. */
export function updatedText(status, age) {
	if (age !== null)
		return 'updated ' + formatDuration(age) + ' ago';
	if (status === 'pending')
		return 'waiting for the first poll';
	return 'no good value yet';
}

/*
 * The problem line at time t: null when there is none, else its error
 * kind, chip label, message and "retry in N s", and behind: the
 * operators' view is behind the schedule and a fresher one is wanted.
 */
export function problemOf(src, status, t) {
	var err = status === 'ok' ? null : errorOf(src);
	if (!err)
		return null;
	var label = kindLabel(err);
	var msg = String(err.message || '');
	/* "HTTP 503 Service Unavailable" next to an "HTTP 503" chip. */
	if (msg.indexOf(label) === 0)
		msg = msg.slice(label.length).trim();
	var retry = '';
	var left = retryIn(src, t);
	var circuit = src.op && src.op.circuit;
	if (left !== null) {
		var probe = err.kind === 'circuit_open' ||
		    (circuit && circuit.state === 'open');
		if (left >= 0.5)
			retry = (probe ? 'probe in ' : 'retry in ') +
			    formatDuration(Math.round(left));
		else
			retry = probe ? 'probing now' : 'retrying now';
	}
	return {
		kind: err.kind,
		label: label,
		message: msg,
		retry: retry,
		behind: left !== null && left < -1 && t - src.opAt > 2000
	};
}

/* The stats a card lists for entry d: the operators' order first, then
 * any other value the entry holds. */
export function statNames(src, d) {
	var values = d.values || {};
	var names = [];
	if (src.op && Array.isArray(src.op.stats))
		names = src.op.stats.slice();
	Object.keys(values).forEach(function (k) {
		if (names.indexOf(k) < 0)
			names.push(k);
	});
	return names;
}

/* How many sources are ok, stale, failing (error or expired) and
 * pending. */
export function summaryCounts(sources) {
	var c = { ok: 0, stale: 0, failing: 0, pending: 0 };
	sources.forEach(function (src) {
		var s = statusOf(src);
		if (s === 'ok')
			c.ok++;
		else if (s === 'stale')
			c.stale++;
		else if (s === 'pending')
			c.pending++;
		else
			c.failing++;
	});
	return c;
}

/* The tab's title for counts c. */
export function summaryTitle(c) {
	return (c.failing ? '(' + c.failing + ' failing) ' :
	    c.stale ? '(' + c.stale + ' stale) ' : '') + 'gatherd';
}
