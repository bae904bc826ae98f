/*
 * gatherd's dashboard: one card per source with its values, a chart per
 * numeric stat, its age and its status, and a header with the overall
 * health and the daemon's version and uptime.  Updates come from the
 * Server-Sent Events stream /api/v1/events; when it fails the page polls
 * /api/v1/stats with If-None-Match and retries the stream with backoff.
 * When the API answers 401 (api_token_file) the page asks for the token
 * once, keeps it in sessionStorage and sends it as a bearer token; the
 * stream is then read with fetch(), as EventSource cannot send it.
 * Plain DOM, no framework; uPlot (vendor/) draws the charts.  Nothing here
 * uses eval or inline handlers, so a CSP of default-src 'self' holds.
 */
(function () {
	'use strict';

	/* Relative, so the page also works behind a path prefix. */
	var API = 'api/v1/';
	var POLL_MS = 2000;
	var BACKOFF_MIN_MS = 1000;
	var BACKOFF_MAX_MS = 30000;
	/* How often the operators' view is refetched while a source fails,
	 * and otherwise (a reload may have removed sources). */
	var SOURCES_REFRESH_MS = 10000;
	var SOURCES_IDLE_MS = 60000;
	/* Where the API token is kept: for this tab, until it is closed. */
	var TOKEN_KEY = 'gatherd.token';
	/* Points kept per chart. */
	var MAX_POINTS = 1000;
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
	var fmtCompactN = [];
	/* Axis times in 24 hours: short enough for a phone-width chart. */
	var fmtHMS = new Intl.DateTimeFormat(undefined, {
		hour: '2-digit',
		minute: '2-digit',
		second: '2-digit',
		hourCycle: 'h23'
	});
	var fmtHM = new Intl.DateTimeFormat(undefined, {
		hour: '2-digit',
		minute: '2-digit',
		hourCycle: 'h23'
	});
	/* Time axis steps, whole seconds (points are whole seconds). */
	var X_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
	    3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
	/* Value axis steps for stats that only ever held integers. */
	var Y_INCRS_INT = [];
	for (var e10 = 1; e10 < 1e16; e10 *= 10)
		Y_INCRS_INT.push(e10, 2 * e10, 5 * e10);
	var fmtDay = new Intl.DateTimeFormat(undefined, {
		month: 'short',
		day: 'numeric'
	});

	var $ = function (id) {
		return document.getElementById(id);
	};
	var cardsEl = $('cards');
	var cardTpl = $('card-template');
	var statTpl = $('stat-template');

	/* name -> source record, in the order the daemon lists them. */
	var sources = new Map();
	var info = null; /* {version, started_at, uptime_seconds, at} */
	var etag = null;
	var stream = null;
	var streamTimer = null;
	var streamFailures = 0;
	var streamOpened = false;
	var pollTimer = null;
	var polling = false;
	var opTimer = null;
	var opTimerAt = 0;
	var opLast = 0;
	var theme = {};
	var token = tokenLoad(); /* the API's bearer token, or null */
	var tokenWaiters = []; /* resolve functions waiting for a token */

	/* Milliseconds on a clock that never jumps. */
	function now() {
		return performance.now();
	}

	/* Formats a number for people: 12,345 / 0.25 / 1.2M. */
	function formatNumber(v) {
		var a = Math.abs(v);
		if (a >= COMPACT_FROM)
			return fmtCompact.format(v);
		if (a !== 0 && a < 0.01)
			return fmtSmall.format(v);
		return fmtFull.format(v);
	}

	/* Formats any stat value: numbers, strings, booleans, null. */
	function formatValue(v) {
		if (typeof v === 'number')
			return formatNumber(v);
		if (v === null || v === undefined)
			return '–';
		return String(v);
	}

	/* Formats seconds as "12 s", "4 min 5 s", "25 min", "3 h 5 min",
	 * "2 d 4 h". */
	function formatDuration(s) {
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
	function secondsBetween(from, to) {
		var a = Date.parse(from);
		var b = Date.parse(to);
		if (isNaN(a) || isNaN(b))
			return null;
		return (b - a) / 1000;
	}

	/* ---- the API token ---- */

	/* The token kept for this tab, or null. */
	function tokenLoad() {
		try {
			return sessionStorage.getItem(TOKEN_KEY);
		} catch (e) {
			return null; /* storage off: asked again after a reload */
		}
	}

	/* Keeps t (null: forgets it) for this tab. */
	function tokenSave(t) {
		token = t;
		try {
			if (t === null)
				sessionStorage.removeItem(TOKEN_KEY);
			else
				sessionStorage.setItem(TOKEN_KEY, t);
		} catch (e) {
			/* Kept in memory only. */
		}
	}

	/* Shows the token form; refused says the last token was wrong. */
	function tokenAsk(refused) {
		var form = $('token-form');
		var msg = $('token-message');
		if (refused || form.hidden) {
			msg.textContent = refused ?
			    'The token was refused. Enter the API token again.' :
			    'This gatherd needs its API token.';
			msg.classList.toggle('refused', refused);
		}
		if (form.hidden) {
			form.hidden = false;
			$('token-input').focus();
		}
	}

	/* Takes the token typed in and lets the waiting requests go on. */
	function tokenSubmit(ev) {
		ev.preventDefault();
		var input = $('token-input');
		var t = input.value.trim();
		if (!t)
			return;
		input.value = '';
		$('token-form').hidden = true;
		tokenSave(t);
		tokenWaiters.splice(0).forEach(function (resolve) {
			resolve();
		});
	}

	/* After a 401 for a request that sent token sent: resolves once there
	 * is a token to try, asking for one (again, if sent was refused). */
	function tokenWanted(sent) {
		if (sent !== null && sent === token) {
			tokenSave(null);
			tokenAsk(true);
		} else if (token === null) {
			tokenAsk(false);
		}
		if (token !== null)
			return Promise.resolve();
		return new Promise(function (resolve) {
			tokenWaiters.push(resolve);
		});
	}

	/* fetch() of API path p with the token if there is one; a 401 asks
	 * for the token and tries again with it. */
	function apiFetch(p, opts) {
		var sent = token;
		var o = Object.assign({ cache: 'no-store' }, opts);
		o.headers = Object.assign({}, opts && opts.headers);
		if (sent !== null)
			o.headers.Authorization = 'Bearer ' + sent;
		return fetch(API + p, o).then(function (r) {
			if (r.status !== 401)
				return r;
			return tokenWanted(sent).then(function () {
				return apiFetch(p, opts);
			});
		});
	}

	/* GETs API path p as JSON; rejects on network errors and non-2xx. */
	function getJSON(p) {
		return apiFetch(p, {
			headers: { Accept: 'application/json' }
		}).then(function (r) {
			if (!r.ok)
				throw new Error(p + ': HTTP ' + r.status);
			return r.json();
		});
	}

	/* Creates an element with a class and optional text. */
	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	/* ---- theme and charts ---- */

	/* Reads the chart colours from the CSS custom properties. */
	function readTheme() {
		var cs = getComputedStyle(document.documentElement);
		var get = function (n) {
			return cs.getPropertyValue(n).trim();
		};
		theme.line = get('--chart-line');
		theme.fill = get('--chart-fill');
		theme.axis = get('--chart-axis');
		theme.grid = get('--chart-grid');
		theme.font = get('--chart-font') || '11px sans-serif';
	}

	/* Redraws every chart after the colour scheme changed. */
	function rethemeCharts() {
		readTheme();
		sources.forEach(function (src) {
			src.stats.forEach(function (st) {
				if (st.plot) {
					st.plot.axes.forEach(function (a) {
						a.font = [theme.font];
						a.labelFont = [theme.font];
					});
					st.plot.redraw(false, true);
				}
			});
		});
	}

	/* Axis options; colours are functions so a theme change applies. */
	function axis(extra) {
		var a = {
			stroke: function () {
				return theme.axis;
			},
			font: theme.font,
			grid: {
				stroke: function () {
					return theme.grid;
				},
				width: 1
			},
			ticks: {
				stroke: function () {
					return theme.grid;
				},
				width: 1,
				size: 4
			}
		};
		for (var k in extra)
			a[k] = extra[k];
		return a;
	}

	/* Y axis labels: in full (12,345) below 100,000, else the shortest
	 * compact form that still tells the ticks apart (1.2M, 1.25M). */
	function yAxisLabels(u, vals) {
		var big = vals.some(function (v) {
			return Math.abs(v) >= 1e5;
		});
		if (big) {
			for (var d = 1; d <= 3; d++) {
				var f = fmtCompactN[d] || (fmtCompactN[d] =
				    new Intl.NumberFormat(undefined, {
					    notation: 'compact',
					    maximumFractionDigits: d
				    }));
				var c = vals.map(function (v) {
					return f.format(v);
				});
				if (new Set(c).size === c.length)
					return c;
			}
		}
		return vals.map(function (v) {
			return fmtFull.format(v);
		});
	}

	/* Y axis width from its longest label. */
	function yAxisSize(u, values) {
		var n = 4;
		(values || []).forEach(function (l) {
			if (l && l.length > n)
				n = l.length;
		});
		return Math.ceil(n * 6.5) + 14;
	}

	/* Builds the uPlot chart of stat st inside its container. */
	function chartCreate(st) {
		var box = st.chartEl;
		var w = Math.max(120, box.clientWidth);
		var h = Math.max(60, box.clientHeight);
		var yAxis = { size: yAxisSize, space: 20, values: yAxisLabels };
		if (st.ys.every(Number.isInteger))
			yAxis.incrs = Y_INCRS_INT;
		var opts = {
			width: w,
			height: h,
			legend: { show: false },
			cursor: { show: false },
			select: { show: false },
			scales: { x: { time: true } },
			axes: [
				axis({
					size: 24,
					incrs: X_INCRS,
					space: function (u, ai, min, max) {
						return max - min < 3600 ? 80 : 55;
					},
					values: function (u, vals, ai, space, incr) {
						var f = incr < 60 ? fmtHMS :
						    incr < 86400 ? fmtHM : fmtDay;
						return vals.map(function (t) {
							return f.format(new Date(t * 1000));
						});
					}
				}),
				axis(yAxis)
			],
			series: [
				{},
				{
					label: st.name,
					stroke: function () {
						return theme.line;
					},
					fill: function () {
						return theme.fill;
					},
					width: 2,
					points: { show: false }
				}
			]
		};
		st.plot = new uPlot(opts, [st.xs, st.ys], box);
		st.observer = new ResizeObserver(function () {
			var nw = Math.max(120, box.clientWidth);
			var nh = Math.max(60, box.clientHeight);
			if (nw !== st.plot.width || nh !== st.plot.height)
				st.plot.setSize({ width: nw, height: nh });
		});
		st.observer.observe(box);
	}

	/* Describes a chart for screen readers. */
	function chartLabel(st) {
		var n = st.xs.length;
		if (n === 0)
			return st.name + ': no history yet';
		var span = st.xs[n - 1] - st.xs[0];
		var lo = Math.min.apply(null, st.ys);
		var hi = Math.max.apply(null, st.ys);
		return st.name + ' over the last ' + formatDuration(span) +
		    ': ' + n + ' points from ' + formatNumber(lo) + ' to ' +
		    formatNumber(hi) + ', latest ' + formatNumber(st.ys[n - 1]);
	}

	/* Pushes xs/ys into the chart, creating it on first use. */
	function chartUpdate(st) {
		if (st.xs.length > MAX_POINTS) {
			var cut = st.xs.length - MAX_POINTS;
			st.xs.splice(0, cut);
			st.ys.splice(0, cut);
		}
		st.chartEl.setAttribute('aria-label', chartLabel(st));
		if (typeof uPlot === 'undefined')
			return;
		if (!st.plot)
			chartCreate(st);
		else
			st.plot.setData([st.xs, st.ys]);
	}

	/* Adds point (t, v) unless a point at t or later exists. */
	function chartAppend(st, t, v) {
		var n = st.xs.length;
		if (n > 0 && st.xs[n - 1] >= t)
			return false;
		st.xs.push(t);
		st.ys.push(v);
		return true;
	}

	/* Merges a history answer under the points already held. */
	function chartHistory(st, points) {
		var xs = [];
		var ys = [];
		points.forEach(function (p) {
			if (Array.isArray(p) && typeof p[0] === 'number' &&
			    typeof p[1] === 'number' &&
			    (xs.length === 0 || p[0] > xs[xs.length - 1])) {
				xs.push(p[0]);
				ys.push(p[1]);
			}
		});
		var last = xs.length ? xs[xs.length - 1] : -Infinity;
		for (var i = 0; i < st.xs.length; i++) {
			if (st.xs[i] > last) {
				xs.push(st.xs[i]);
				ys.push(st.ys[i]);
			}
		}
		st.xs = xs;
		st.ys = ys;
		chartUpdate(st);
	}

	/* Turns a stat row into a numeric one with a chart container. */
	function statMakeNumeric(src, st) {
		if (st.chartEl)
			return;
		st.chartEl = el('div', 'chart');
		st.chartEl.setAttribute('data-chart', st.name);
		st.chartEl.setAttribute('role', 'img');
		st.row.querySelector('.stat-body').appendChild(st.chartEl);
		st.row.classList.add('numeric');
		historyLoad(src, st);
	}

	/* Fetches one stat's history once per daemon start. */
	function historyLoad(src, st) {
		var key = (info && info.started_at) || '';
		if (st.historyFor === key)
			return;
		st.historyFor = key;
		getJSON('sources/' + encodeURIComponent(src.name) +
		    '/history?stat=' + encodeURIComponent(st.name))
		    .then(function (doc) {
			chartHistory(st, Array.isArray(doc.points) ?
			    doc.points : []);
		    })
		    .catch(function () {
			/* No history (yet): the chart fills from events. */
			st.historyFor = undefined;
			chartUpdate(st);
		    });
	}

	/* ---- cards ---- */

	/* Returns the card record for name, creating its card. */
	function sourceGet(name) {
		var src = sources.get(name);
		if (src)
			return src;
		var card = cardTpl.content.firstElementChild.cloneNode(true);
		card.setAttribute('data-source', name);
		var h = card.querySelector('.name');
		h.textContent = name;
		h.id = 'src-' + name;
		card.setAttribute('aria-labelledby', h.id);
		src = {
			name: name,
			data: null, /* its /api/v1/stats entry */
			at: 0, /* now() when data arrived */
			op: null, /* its /api/v1/sources entry */
			opAt: 0,
			opGenerated: null,
			stats: new Map(),
			card: card,
			badge: card.querySelector('.badge'),
			updated: card.querySelector('.updated'),
			problem: card.querySelector('.problem'),
			list: card.querySelector('.stats')
		};
		sources.set(name, src);
		return src;
	}

	/* Returns the stat record for name in src, creating its row. */
	function statGet(src, name) {
		var st = src.stats.get(name);
		if (st)
			return st;
		var row = statTpl.content.firstElementChild.cloneNode(true);
		row.setAttribute('data-stat', name);
		row.querySelector('.stat-name').textContent = name;
		st = {
			name: name,
			row: row,
			value: row.querySelector('.value'),
			chartEl: null,
			plot: null,
			xs: [],
			ys: [],
			historyFor: undefined /* started_at it was loaded for */
		};
		src.stats.set(name, st);
		src.list.appendChild(row);
		return st;
	}

	/* The status shown: the daemon's, or "expired" when flagged so. */
	function statusOf(src) {
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

	/* Seconds since the last success, ticking locally; null if none. */
	function ageOf(src) {
		var d = src.data;
		if (!d || !d.updated_at)
			return null;
		if (typeof d.age_seconds === 'number')
			return d.age_seconds + (now() - src.at) / 1000;
		return (Date.now() - Date.parse(d.updated_at)) / 1000;
	}

	/* Seconds until the next attempt per the operators' view, or null. */
	function retryIn(src) {
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
		return left - (now() - src.opAt) / 1000;
	}

	/* The error to show: the stats document's, else the operators'. */
	function errorOf(src) {
		var d = src.data;
		if (d && d.error)
			return d.error;
		if (src.op && src.op.status !== 'ok' && src.op.last_error)
			return src.op.last_error;
		return null;
	}

	/* Fills the badge, age line and problem line (called every second). */
	function cardTick(src) {
		var status = statusOf(src);
		var age = ageOf(src);
		var text = status;
		if ((status === 'stale' || status === 'expired') && age !== null)
			text += ' · ' + formatDuration(age);
		if (src.badge.textContent !== text)
			src.badge.textContent = text;
		if (src.badge.getAttribute('data-status') !== status) {
			src.badge.setAttribute('data-status', status);
			src.card.setAttribute('data-status', status);
		}

		var upd;
		if (age !== null)
			upd = 'updated ' + formatDuration(age) + ' ago';
		else if (status === 'pending')
			upd = 'waiting for the first poll';
		else
			upd = 'no good value yet';
		if (src.updatedText !== upd) {
			src.updatedText = upd;
			src.updated.textContent = '';
			if (age !== null) {
				var t = el('time', null, upd);
				t.dateTime = src.data.updated_at;
				t.title = new Date(src.data.updated_at).toLocaleString();
				src.updated.appendChild(t);
			} else {
				src.updated.textContent = upd;
			}
		}

		problemTick(src, status);
	}

	/* Error kind as shown on the chip: "HTTP 503", "connect", ... */
	function kindLabel(err) {
		if (err.kind === 'http_status' && err.http_status)
			return 'HTTP ' + err.http_status;
		return String(err.kind || 'error').replace(/_/g, ' ');
	}

	/* Fills the problem line: kind, message, "retry in N s". */
	function problemTick(src, status) {
		var err = status === 'ok' ? null : errorOf(src);
		var p = src.problem;
		if (!err) {
			if (!p.hidden) {
				p.hidden = true;
				p.textContent = '';
				p.removeAttribute('data-error-kind');
				src.problemKey = null;
			}
			return;
		}
		var label = kindLabel(err);
		var msg = String(err.message || '');
		/* "HTTP 503 Service Unavailable" next to an "HTTP 503" chip. */
		if (msg.indexOf(label) === 0)
			msg = msg.slice(label.length).trim();
		var retry = '';
		var left = retryIn(src);
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
		/* The view is behind the schedule: ask for a fresher one. */
		if (left !== null && left < -1 && now() - src.opAt > 2000)
			opRefreshSoon(0);
		var key = err.kind + '\n' + label + '\n' + msg + '\n' + retry;
		if (src.problemKey === key)
			return;
		src.problemKey = key;
		p.textContent = '';
		p.setAttribute('data-error-kind', err.kind || '');
		p.appendChild(el('span', 'kind', label));
		if (msg) {
			p.appendChild(document.createTextNode(' '));
			p.appendChild(el('span', 'message', msg));
		}
		if (retry) {
			p.appendChild(document.createTextNode(' '));
			p.appendChild(el('span', 'retry', retry));
		}
		p.hidden = false;
	}

	/* Applies one source's stats entry to its card and charts. */
	function cardApply(src, d) {
		var prevUpdated = src.data && src.data.updated_at;
		src.data = d;
		src.at = now();
		var values = d.values || {};
		var names = [];
		if (src.op && Array.isArray(src.op.stats))
			names = src.op.stats.slice();
		Object.keys(values).forEach(function (k) {
			if (names.indexOf(k) < 0)
				names.push(k);
		});
		var t = d.updated_at ? Date.parse(d.updated_at) / 1000 : null;
		names.forEach(function (k) {
			var st = statGet(src, k);
			var v = Object.prototype.hasOwnProperty.call(values, k) ?
			    values[k] : undefined;
			var text = formatValue(v);
			if (st.value.textContent !== text)
				st.value.textContent = text;
			st.value.value = v === undefined ? '' : String(v);
			st.value.title = typeof v === 'number' ?
			    fmtFull.format(v) : '';
			if (typeof v === 'number') {
				statMakeNumeric(src, st);
				if (t !== null && d.updated_at !== prevUpdated &&
				    chartAppend(st, t, v))
					chartUpdate(st);
			}
		});
		cardTick(src);
	}

	/* Applies a stats document; full means it lists every source. */
	function applyDoc(doc, full) {
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
			cardApply(src, doc.sources[name]);
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
				cardsEl.appendChild(sources.get(name).card);
			});
		} else {
			sources.forEach(function (src) {
				if (!src.card.parentNode)
					cardsEl.appendChild(src.card);
			});
		}
		summaryUpdate();
		if (added || failing)
			opRefreshSoon(added ? 0 : 300);
		noticeSet(null);
	}

	/* Removes a source's card and charts. */
	function sourceRemove(src) {
		src.stats.forEach(function (st) {
			if (st.observer)
				st.observer.disconnect();
			if (st.plot)
				st.plot.destroy();
		});
		src.card.remove();
		sources.delete(src.name);
	}

	/* Overall health in the header and the tab title. */
	function summaryUpdate() {
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
		document.title = (c.failing ? '(' + c.failing + ' failing) ' :
		    c.stale ? '(' + c.stale + ' stale) ' : '') + 'gatherd';
	}

	/* ---- the operators' view: stat names, errors, retry times ---- */

	/* Fetches /api/v1/sources within ms (coalescing requests). */
	function opRefreshSoon(ms) {
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
	function opRefresh() {
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
				if (!src.card.parentNode)
					cardsEl.appendChild(src.card);
				if (op.status !== 'ok')
					failing = true;
				cardTick(src);
			});
			summaryUpdate();
			opRefreshSoon(failing ? SOURCES_REFRESH_MS :
			    SOURCES_IDLE_MS);
		}).catch(function () {
			opRefreshSoon(SOURCES_REFRESH_MS);
		});
	}

	/* ---- the daemon: version and uptime ---- */

	/* Fetches /api/v1/info; a new started_at means a restarted daemon. */
	function infoRefresh() {
		return getJSON('info').then(function (doc) {
			var restarted = info && info.started_at !== doc.started_at;
			info = doc;
			info.at = now();
			$('version').textContent = doc.version || '–';
			uptimeTick();
			if (restarted) {
				sources.forEach(function (src) {
					src.stats.forEach(function (st) {
						if (st.chartEl) {
							st.xs = [];
							st.ys = [];
							historyLoad(src, st);
						}
					});
				});
			}
		}).catch(function () {
			/* An older daemon without /api/v1/info: leave the dashes. */
		});
	}

	/* Shows the uptime, ticking locally. */
	function uptimeTick() {
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

	/* ---- transport: SSE, polling fallback ---- */

	/* Shows how updates arrive: live, polling or offline. */
	function linkSet(state, text) {
		var e = $('link');
		if (e.getAttribute('data-link') === state &&
		    e.textContent === text)
			return;
		e.setAttribute('data-link', state);
		e.textContent = text;
	}

	/* Shows or hides the notice above the cards. */
	function noticeSet(text) {
		var n = $('notice');
		if (!text) {
			if (!n.hidden)
				n.hidden = true;
			return;
		}
		n.textContent = text;
		n.hidden = false;
	}

	/*
	 * Reads the event stream with fetch(), which can send the token (the
	 * token never goes in a URL: URLs end up in logs).  Calls
	 * onEvent(type, data) per event and onEnd() once when the stream
	 * fails or ends; returns an object whose close() stops it.
	 */
	function sseFetch(onEvent, onEnd) {
		var ctl = new AbortController();
		apiFetch('events', {
			headers: { Accept: 'text/event-stream' },
			signal: ctl.signal
		}).then(function (r) {
			if (!r.ok || !r.body)
				throw new Error('events: HTTP ' + r.status);
			var reader = r.body.getReader();
			var dec = new TextDecoder();
			var buf = '';
			var type = '';
			var data = [];
			/* One line of the stream: a field, a comment or the blank
			 * line that ends an event. */
			var line = function (l) {
				if (l === '') {
					if (data.length)
						onEvent(type || 'message', data.join('\n'));
					type = '';
					data = [];
					return;
				}
				var i = l.indexOf(':');
				if (i === 0)
					return;
				var field = i < 0 ? l : l.slice(0, i);
				var value = i < 0 ? '' : l.slice(i + 1);
				if (value.charAt(0) === ' ')
					value = value.slice(1);
				if (field === 'event')
					type = value;
				else if (field === 'data')
					data.push(value);
			};
			/* Reads on chunk by chunk; not one promise chain, which
			 * would grow for as long as the stream lasts. */
			var next = function () {
				reader.read().then(function (c) {
					if (c.done)
						throw new Error('events: the stream ended');
					buf += dec.decode(c.value, { stream: true });
					var lines = buf.split('\n');
					buf = lines.pop();
					lines.forEach(function (l) {
						line(l.replace(/\r$/, ''));
					});
					next();
				}).catch(onEnd);
			};
			next();
		}).catch(onEnd);
		return {
			close: function () {
				ctl.abort();
			}
		};
	}

	/* Opens the event stream; the first event holds every source.  With
	 * a token it is read with fetch(), else with EventSource. */
	function streamOpen() {
		streamTimer = null;
		if (token === null && typeof EventSource === 'undefined') {
			pollStart();
			return;
		}
		var s;
		var first = true;
		/* The stream failed or ended: poll, and reopen it later. */
		var onEnd = function () {
			if (stream !== s)
				return;
			s.close();
			stream = null;
			streamRetry();
		};
		/* One stats event's data. */
		var onStats = function (data) {
			var doc;
			try {
				doc = JSON.parse(data);
			} catch (e) {
				return;
			}
			if (first) {
				first = false;
				streamFailures = 0;
				pollStop();
				linkSet('live', 'live');
				/* A reconnect: the daemon may have restarted. */
				if (streamOpened)
					infoRefresh();
				streamOpened = true;
				opRefreshSoon(0);
				applyDoc(doc, true);
			} else {
				applyDoc(doc, false);
			}
		};
		if (token !== null) {
			s = sseFetch(function (type, data) {
				if (type === 'stats')
					onStats(data);
			}, onEnd);
		} else {
			s = new EventSource(API + 'events');
			s.addEventListener('stats', function (ev) {
				onStats(ev.data);
			});
			s.addEventListener('error', onEnd);
		}
		stream = s;
	}

	/* Polls meanwhile and reopens the stream after a backoff. */
	function streamRetry() {
		var ms = Math.min(BACKOFF_MAX_MS,
		    BACKOFF_MIN_MS * Math.pow(2, streamFailures));
		streamFailures++;
		/* Jitter so that many screens do not reconnect at once. */
		ms = ms * (0.75 + Math.random() * 0.25);
		streamTimer = setTimeout(streamOpen, ms);
		pollStart();
	}

	/* Starts polling /api/v1/stats every POLL_MS. */
	function pollStart() {
		if (polling)
			return;
		polling = true;
		pollOnce();
	}

	/* Stops polling. */
	function pollStop() {
		polling = false;
		clearTimeout(pollTimer);
		pollTimer = null;
	}

	/* One conditional GET of /api/v1/stats; 304 means nothing new. */
	function pollOnce() {
		pollTimer = null;
		var headers = { Accept: 'application/json' };
		if (etag)
			headers['If-None-Match'] = etag;
		apiFetch('stats', { headers: headers })
		    .then(function (r) {
			if (r.status === 304)
				return null;
			if (!r.ok)
				throw new Error('HTTP ' + r.status);
			etag = r.headers.get('ETag');
			return r.json();
		    })
		    .then(function (doc) {
			if (!polling)
				return;
			var link = $('link').getAttribute('data-link');
			linkSet('polling', 'polling every ' + POLL_MS / 1000 + ' s');
			noticeSet(null);
			/* Back after an outage: the daemon may have restarted. */
			if (!info || link === 'offline')
				infoRefresh();
			if (doc)
				applyDoc(doc, true);
		    })
		    .catch(function () {
			if (!polling)
				return;
			linkSet('offline', 'offline');
			noticeSet('Cannot reach gatherd; showing the last ' +
			    'values received. Retrying…');
		    })
		    .then(function () {
			if (polling)
				pollTimer = setTimeout(pollOnce, POLL_MS);
		    });
	}

	/* ---- start ---- */

	/* The first full stats document, so cards fill before the stream. */
	function statsLoad() {
		return apiFetch('stats', {
			headers: { Accept: 'application/json' }
		}).then(function (r) {
			if (!r.ok)
				throw new Error('HTTP ' + r.status);
			etag = r.headers.get('ETag');
			return r.json();
		}).then(function (doc) {
			applyDoc(doc, true);
		}).catch(function () {
			linkSet('offline', 'offline');
		});
	}

	/* Ticks ages, countdowns and the uptime once a second. */
	function tick() {
		sources.forEach(cardTick);
		uptimeTick();
	}

	/* Loads the first state, then follows the stream. */
	function start() {
		readTheme();
		$('token-form').addEventListener('submit', tokenSubmit);
		var mq = window.matchMedia('(prefers-color-scheme: dark)');
		if (mq.addEventListener)
			mq.addEventListener('change', rethemeCharts);
		setInterval(tick, 1000);
		Promise.all([infoRefresh(), opRefresh(), statsLoad()])
		    .then(streamOpen);
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', start);
	else
		start();
})();
