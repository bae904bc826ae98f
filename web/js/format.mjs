/*
 * Numbers, durations and error kinds as the dashboard shows them.  Pure:
 * no DOM, no clock; the formats follow the browser's locale (Intl with
 * no locale given).  Shared by the cards, the charts' axes and the
 * summary.
 */

/* Values below this are shown in full (12,345), above compact (1.2M). */
var COMPACT_FROM = 1e6;

var fmtFull = new Intl.NumberFormat(undefined, {
	maximumFractionDigits: 2
});
var fmtSmall = new Intl.NumberFormat(undefined, {
	maximumSignificantDigits: 3
});
var fmtCompact = new Intl.NumberFormat(undefined, {
	notation: 'compact',
	maximumFractionDigits: 1
});

/* Formats a number in full, up to two decimals: 12,345.68. */
export function formatFull(v) {
	return fmtFull.format(v);
}

/* Formats a number for people: 12,345 / 0.25 / 1.2M. */
export function formatNumber(v) {
	var a = Math.abs(v);
	if (a >= COMPACT_FROM)
		return fmtCompact.format(v);
	if (a !== 0 && a < 0.01)
		return fmtSmall.format(v);
	return fmtFull.format(v);
}

/* Formats any stat value: numbers, strings, booleans, null. */
export function formatValue(v) {
	if (typeof v === 'number')
		return formatNumber(v);
	if (v === null || v === undefined)
		return '–';
	return String(v);
}

/* Formats seconds as "12 s", "4 min 5 s", "25 min", "3 h 5 min",
 * "2 d 4 h". */
export function formatDuration(s) {
	s = Math.max(0, Math.floor(s));
	if (s < 60)
		return s + ' s';
	if (s < 600)
		return Math.floor(s / 60) + ' min' +
		    (s % 60 ? ' ' + s % 60 + ' s' : '');
	if (s < 3600)
		return Math.floor(s / 60) + ' min';
	if (s < 86400) {
		var m = Math.floor(s / 60) % 60;
		return Math.floor(s / 3600) + ' h' + (m ? ' ' + m + ' min' : '');
	}
	var h = Math.floor(s / 3600) % 24;
	return Math.floor(s / 86400) + ' d' + (h ? ' ' + h + ' h' : '');
}

/* Seconds between two RFC 3339 times, or null. */
export function secondsBetween(from, to) {
	var a = Date.parse(from);
	var b = Date.parse(to);
	if (isNaN(a) || isNaN(b))
		return null;
	return (b - a) / 1000;
}

/* Error kind as shown on the chip: "HTTP 503", "connect", ... */
export function kindLabel(err) {
	if (err.kind === 'http_status' && err.http_status)
		return 'HTTP ' + err.http_status;
	return String(err.kind || 'error').replace(/_/g, ' ');
}
