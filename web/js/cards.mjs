/*
 * The page's DOM: one card per source (from #card-template) with a row
 * per stat (#stat-template), its badge, age line and problem line, and
 * the header's summary, version, uptime, update link and notice.  What
 * to show is decided in source.mjs; this module only writes it, and
 * writes only what changed, so that the once-a-second tick is cheap.
 * Elements are looked up when first needed, never when loaded.
 */
import { chartDestroy, chartUpdate, chartAppend } from './charts.mjs';
import { formatDuration, formatFull, formatValue } from './format.mjs';
import { historyLoad } from './history.mjs';
import { ageOf, badgeText, now, problemOf, statNames, statNew, statusOf,
    summaryCounts, summaryTitle, updatedText } from './source.mjs';

var $ = function (id) {
	return document.getElementById(id);
};

/* Creates an element with a class and optional text. */
function el(tag, cls, text) {
	var e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined)
		e.textContent = text;
	return e;
}

/* Gives source record src its card (not yet on the page). */
export function cardCreate(src) {
	var card = $('card-template').content.firstElementChild
	    .cloneNode(true);
	card.setAttribute('data-source', src.name);
	var h = card.querySelector('.name');
	h.textContent = src.name;
	h.id = 'src-' + src.name;
	card.setAttribute('aria-labelledby', h.id);
	src.card = card;
	src.badge = card.querySelector('.badge');
	src.updated = card.querySelector('.updated');
	src.problem = card.querySelector('.problem');
	src.list = card.querySelector('.stats');
}

/* Moves src's card to the end of the list. */
export function cardAppend(src) {
	$('cards').appendChild(src.card);
}

/* Puts src's card at the end of the list unless it is on the page. */
export function cardEnsure(src) {
	if (!src.card.parentNode)
		cardAppend(src);
}

/* Removes src's card and charts from the page. */
export function cardRemove(src) {
	src.stats.forEach(chartDestroy);
	src.card.remove();
}

/* Returns the stat record for name in src, creating its row. */
export function statGet(src, name) {
	var st = src.stats.get(name);
	if (st)
		return st;
	var row = $('stat-template').content.firstElementChild
	    .cloneNode(true);
	row.setAttribute('data-stat', name);
	row.querySelector('.stat-name').textContent = name;
	st = statNew(name);
	st.row = row;
	st.value = row.querySelector('.value');
	src.stats.set(name, st);
	src.list.appendChild(row);
	return st;
}

/* Turns a stat row into a numeric one with a chart container; key is
 * the daemon start its history is loaded for. */
function statMakeNumeric(src, st, key) {
	if (st.chartEl)
		return;
	st.chartEl = el('div', 'chart');
	st.chartEl.setAttribute('data-chart', st.name);
	st.chartEl.setAttribute('role', 'img');
	st.row.querySelector('.stat-body').appendChild(st.chartEl);
	st.row.classList.add('numeric');
	historyLoad(src, st, key);
}

/*
 * Fills the badge, age line and problem line (called every second).
 * Returns true when the operators' view is behind the schedule and a
 * fresher one should be fetched.
 */
export function cardTick(src) {
	var t = now();
	var status = statusOf(src);
	var age = ageOf(src, t, Date.now());
	var text = badgeText(status, age);
	if (src.badge.textContent !== text)
		src.badge.textContent = text;
	if (src.badge.getAttribute('data-status') !== status) {
		src.badge.setAttribute('data-status', status);
		src.card.setAttribute('data-status', status);
	}

	var upd = updatedText(status, age);
	if (src.updatedText !== upd) {
		src.updatedText = upd;
		src.updated.textContent = '';
		if (age !== null) {
			var tm = el('time', null, upd);
			tm.dateTime = src.data.updated_at;
			tm.title = new Date(src.data.updated_at).toLocaleString();
			src.updated.appendChild(tm);
		} else {
			src.updated.textContent = upd;
		}
	}

	return problemTick(src, problemOf(src, status, t));
}

/* Fills the problem line: kind, message, "retry in N s"; returns
 * whether the view is behind. */
function problemTick(src, pr) {
	var p = src.problem;
	if (!pr) {
		if (!p.hidden) {
			p.hidden = true;
			p.textContent = '';
			p.removeAttribute('data-error-kind');
			src.problemKey = null;
		}
		return false;
	}
	var key = pr.kind + '\n' + pr.label + '\n' + pr.message + '\n' +
	    pr.retry;
	if (src.problemKey === key)
		return pr.behind;
	src.problemKey = key;
	p.textContent = '';
	p.setAttribute('data-error-kind', pr.kind || '');
	p.appendChild(el('span', 'kind', pr.label));
	if (pr.message) {
		p.appendChild(document.createTextNode(' '));
		p.appendChild(el('span', 'message', pr.message));
	}
	if (pr.retry) {
		p.appendChild(document.createTextNode(' '));
		p.appendChild(el('span', 'retry', pr.retry));
	}
	p.hidden = false;
	return pr.behind;
}

/*
 * Applies one source's stats entry d to its card and charts; key is the
 * daemon start histories are loaded for.  Returns cardTick's answer.
 */
export function cardApply(src, d, key) {
	var prevUpdated = src.data && src.data.updated_at;
	src.data = d;
	src.at = now();
	var values = d.values || {};
	var t = d.updated_at ? Date.parse(d.updated_at) / 1000 : null;
	statNames(src, d).forEach(function (k) {
		var st = statGet(src, k);
		var v = Object.prototype.hasOwnProperty.call(values, k) ?
		    values[k] : undefined;
		var text = formatValue(v);
		if (st.value.textContent !== text)
			st.value.textContent = text;
		st.value.value = v === undefined ? '' : String(v);
		st.value.title = typeof v === 'number' ? formatFull(v) : '';
		if (typeof v === 'number') {
			statMakeNumeric(src, st, key);
			if (t !== null && d.updated_at !== prevUpdated &&
			    chartAppend(st, t, v))
				chartUpdate(st);
		}
	});
	return cardTick(src);
}

/* Overall health of sources in the header and the tab title. */
export function summaryUpdate(sources) {
	var c = summaryCounts(sources);
	var key = c.ok + '/' + c.stale + '/' + c.failing + '/' + c.pending;
	var sum = $('summary');
	if (sum.getAttribute('data-counts') === key)
		return;
	sum.setAttribute('data-counts', key);
	sum.textContent = '';
	if (sources.size === 0) {
		sum.textContent = 'no sources configured';
		return;
	}
	var parts = [['ok', c.ok], ['stale', c.stale],
	    ['failing', c.failing]];
	if (c.pending)
		parts.push(['pending', c.pending]);
	parts.forEach(function (p, i) {
		if (i)
			sum.appendChild(document.createTextNode(' / '));
		var s = el('span', 'count', p[1] + ' ' + p[0]);
		s.setAttribute('data-kind', p[0]);
		if (p[1] === 0)
			s.classList.add('zero');
		sum.appendChild(s);
	});
	document.title = summaryTitle(c);
}

/* Shows the daemon's version. */
export function versionShow(version) {
	$('version').textContent = version || '–';
}

/* Shows the uptime of the daemon described by info (/api/v1/info plus
 * at, now() when it came), ticking locally. */
export function uptimeShow(info) {
	if (!info || typeof info.uptime_seconds !== 'number')
		return;
	var up = info.uptime_seconds + (now() - info.at) / 1000;
	var e = $('uptime');
	var text = formatDuration(up);
	if (e.textContent !== text)
		e.textContent = text;
	if (info.started_at)
		e.title = 'since ' + new Date(info.started_at).toLocaleString();
}

/* How updates arrive, as shown: "live", "polling", "offline" or
 * "connecting". */
export function linkState() {
	return $('link').getAttribute('data-link');
}

/* Shows how updates arrive: live, polling or offline. */
export function linkSet(state, text) {
	var e = $('link');
	if (e.getAttribute('data-link') === state && e.textContent === text)
		return;
	e.setAttribute('data-link', state);
	e.textContent = text;
}

/* Shows or hides the notice above the cards. */
export function noticeSet(text) {
	var n = $('notice');
	if (!text) {
		if (!n.hidden)
			n.hidden = true;
		return;
	}
	n.textContent = text;
	n.hidden = false;
}
