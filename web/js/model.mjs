/*
 * What the page knows: the sources by name in the daemon's order, the
 * daemon's /api/v1/info, and the operators' view (/api/v1/sources, for
 * stat names, errors and retry times) refetched on a schedule.  Stats
 * documents, from the stream or from polling, are applied here; the
 * cards module draws the result.
 */
import { getJSON } from './api.mjs';
import { cardAppend, cardApply, cardCreate, cardEnsure, cardRemove,
    cardTick, noticeSet, statGet, summaryUpdate, uptimeShow, versionShow }
    from './cards.mjs';
import { chartRetheme, themeRead } from './charts.mjs';
import { historyLoad, historyRefresh, historyRestep } from './history.mjs';
import { now, sourceNew, statusOf } from './source.mjs';

/* How often the operators' view is refetched while a source fails,
 * and otherwise (a reload may have removed sources). */
var SOURCES_REFRESH_MS = 10000;
var SOURCES_IDLE_MS = 60000;

/* name -> source record, in the order the daemon lists them. */
export var sources = new Map();
var info = null; /* {version, started_at, uptime_seconds, at} */
var opTimer = null;
var opTimerAt = 0;
var opLast = 0;

/* Whether /api/v1/info has answered yet. */
export function infoKnown() {
	return info !== null;
}

/* The daemon start the charts' histories belong to. */
function historyKey() {
	return (info && info.started_at) || '';
}

/* Returns the source record for name, creating it and its card. */
function sourceGet(name) {
	var src = sources.get(name);
	if (src)
		return src;
	src = sourceNew(name);
	cardCreate(src);
	sources.set(name, src);
	return src;
}

/* Removes a source, its card and charts. */
function sourceRemove(src) {
	cardRemove(src);
	sources.delete(src.name);
}

/* Ticks src's card; fetches a fresher operators' view if it is behind. */
function sourceTick(src) {
	if (cardTick(src))
		opRefreshSoon(0);
}

/* Applies a stats document; full means it lists every source. */
export function applyDoc(doc, full) {
	if (!doc || typeof doc.sources !== 'object' || !doc.sources)
		return;
	if (doc.full === true)
		full = true;
	var seen = new Set();
	var added = false;
	var failing = false;
	Object.keys(doc.sources).forEach(function (name) {
		seen.add(name);
		if (!sources.has(name))
			added = true;
		var src = sourceGet(name);
		if (cardApply(src, doc.sources[name], historyKey()))
			opRefreshSoon(0);
		if (statusOf(src) !== 'ok')
			failing = true;
	});
	if (full) {
		sources.forEach(function (src, name) {
			if (!seen.has(name))
				sourceRemove(src);
		});
		/* Keep the daemon's order. */
		var order = Object.keys(doc.sources);
		order.forEach(function (name) {
			cardAppend(sources.get(name));
		});
	} else {
		sources.forEach(cardEnsure);
	}
	summaryUpdate(sources);
	if (added || failing)
		opRefreshSoon(added ? 0 : 300);
	noticeSet(null);
}

/* ---- the operators' view: stat names, errors, retry times ---- */

/* Fetches /api/v1/sources within ms (coalescing requests). */
export function opRefreshSoon(ms) {
	var at = Math.max(Date.now() + ms, opLast + 1000);
	if (opTimer) {
		if (opTimerAt <= at)
			return;
		clearTimeout(opTimer);
	}
	opTimerAt = at;
	opTimer = setTimeout(opRefresh, Math.max(0, at - Date.now()));
}

/* Fetches /api/v1/sources and applies it. */
export function opRefresh() {
	opTimer = null;
	opLast = Date.now();
	return getJSON('sources').then(function (doc) {
		var list = Array.isArray(doc.sources) ? doc.sources : [];
		var failing = false;
		var listed = new Set();
		list.forEach(function (op) {
			if (op && typeof op.name === 'string')
				listed.add(op.name);
		});
		/* Gone after a reload (SIGHUP). */
		sources.forEach(function (src, name) {
			if (!listed.has(name))
				sourceRemove(src);
		});
		list.forEach(function (op) {
			if (!op || typeof op.name !== 'string')
				return;
			var src = sourceGet(op.name);
			src.op = op;
			src.opAt = now();
			src.opGenerated = doc.generated_at;
			if (Array.isArray(op.stats))
				op.stats.forEach(function (k) {
					statGet(src, k);
				});
			src.stats.forEach(function (st) {
				historyRestep(src, st, historyKey());
			});
			cardEnsure(src);
			if (op.status !== 'ok')
				failing = true;
			sourceTick(src);
		});
		summaryUpdate(sources);
		opRefreshSoon(failing ? SOURCES_REFRESH_MS : SOURCES_IDLE_MS);
	}).catch(function () {
		opRefreshSoon(SOURCES_REFRESH_MS);
	});
}

/* ---- the daemon: version and uptime ---- */

/* Fetches /api/v1/info; a new started_at means a restarted daemon. */
export function infoRefresh() {
	return getJSON('info').then(function (doc) {
		var restarted = info && info.started_at !== doc.started_at;
		info = doc;
		info.at = now();
		versionShow(doc.version);
		uptimeShow(info);
		if (restarted) {
			sources.forEach(function (src) {
				src.stats.forEach(function (st) {
					if (st.chartEl)
						historyLoad(src, st,
						    historyKey());
				});
			});
		}
	}).catch(function () {
		/* An older daemon without /api/v1/info: leave the dashes. */
	});
}

/* Ticks ages, countdowns and the uptime once a second, and fetches
 * the charts' ranges that are due again. */
export function tick() {
	var t = Date.now() / 1000;
	sources.forEach(function (src) {
		sourceTick(src);
		src.stats.forEach(function (st) {
			historyRefresh(src, st, historyKey(), t);
		});
	});
	uptimeShow(info);
}

/* Fetches every chart again for the range the picker now holds. */
export function chartsReload() {
	sources.forEach(function (src) {
		src.stats.forEach(function (st) {
			if (st.chartEl)
				historyLoad(src, st, historyKey());
		});
	});
}

/* Reads the chart colours, and redraws every chart with them. */
export function retheme() {
	themeRead();
	sources.forEach(function (src) {
		src.stats.forEach(chartRetheme);
	});
}
