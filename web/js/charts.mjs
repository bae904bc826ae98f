/*
 * One uPlot chart per numeric stat: its points (whole seconds, at most
 * MAX_POINTS) in the live view, or a range's buckets as an average line
 * over a min-max band; its axes and its colours, read from the
 * stylesheet's custom properties so that a change of colour scheme
 * applies.  uPlot is the global the vendored script defines; without it
 * the points are still kept and described for screen readers.  The point
 * and label helpers are pure; history.mjs fetches what a chart shows.
 */
import { formatDuration, formatFull, formatNumber } from './format.mjs';
import { bandCount, bucketsAdd, recentKeep } from './range.mjs';

/* Points kept per chart. */
export var MAX_POINTS = 1000;
/* A range's buckets get a dot each up to this many. */
var DOTS_MAX = 60;

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

var theme = {};

/* Reads the chart colours from the CSS custom properties. */
export function themeRead() {
	var cs = getComputedStyle(document.documentElement);
	var get = function (n) {
		return cs.getPropertyValue(n).trim();
	};
	theme.line = get('--chart-line');
	theme.fill = get('--chart-fill');
	theme.band = get('--chart-band');
	theme.axis = get('--chart-axis');
	theme.grid = get('--chart-grid');
	theme.font = get('--chart-font') || '11px sans-serif';
}

/* Redraws stat st's chart, if it has one, after the colour scheme
 * changed (themeRead first). */
export function chartRetheme(st) {
	if (st.plot) {
		st.plot.axes.forEach(function (a) {
			a.font = [theme.font];
			a.labelFont = [theme.font];
		});
		st.plot.redraw(false, true);
	}
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
export function yAxisLabels(u, vals) {
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
		return formatFull(v);
	});
}

/* Y axis width from its longest label. */
export function yAxisSize(u, values) {
	var n = 4;
	(values || []).forEach(function (l) {
		if (l && l.length > n)
			n = l.length;
	});
	return Math.ceil(n * 6.5) + 14;
}

/* X axis labels for ticks vals (seconds) incr seconds apart. */
export function xAxisLabels(u, vals, ai, space, incr) {
	var f = incr < 60 ? fmtHMS : incr < 86400 ? fmtHM : fmtDay;
	return vals.map(function (t) {
		return f.format(new Date(t * 1000));
	});
}

/* The live view's series: the points, a line over a filled area. */
function seriesLive(st) {
	return [
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
	];
}

/* A range's series: the averages as a line (with a dot on each bucket
 * while there are few, so that one bucket shows), and the maximums and
 * minimums, not drawn themselves, as the edges of the band. */
function seriesRange(st) {
	var edge = function (label) {
		return { label: label, stroke: 'transparent', width: 0,
			points: { show: false } };
	};
	return [
		{},
		{
			label: st.name,
			stroke: function () {
				return theme.line;
			},
			width: 2,
			points: {
				show: function () {
					return st.xs.length <= DOTS_MAX;
				},
				size: 5,
				fill: function () {
					return theme.line;
				}
			}
		},
		edge('max'),
		edge('min')
	];
}

/* The arrays uPlot draws for st. */
function chartData(st) {
	return st.win ? [st.xs, st.ys, st.maxs, st.mins] : [st.xs, st.ys];
}

/* Builds the uPlot chart of stat st inside its container. */
function chartCreate(st) {
	var box = st.chartEl;
	var w = Math.max(120, box.clientWidth);
	var h = Math.max(60, box.clientHeight);
	var yAxis = { size: yAxisSize, space: 20, values: yAxisLabels };
	if (st.ys.every(Number.isInteger))
		yAxis.incrs = Y_INCRS_INT;
	var x = { time: true };
	/* A range spans its whole window, data or not. */
	if (st.win)
		x.range = function () {
			return [st.win.from, st.win.to];
		};
	var opts = {
		width: w,
		height: h,
		legend: { show: false },
		cursor: { show: false },
		select: { show: false },
		scales: { x: x },
		axes: [
			axis({
				size: 24,
				incrs: X_INCRS,
				space: function (u, ai, min, max) {
					return max - min < 3600 ? 80 : 55;
				},
				values: xAxisLabels
			}),
			axis(yAxis)
		],
		series: st.win ? seriesRange(st) : seriesLive(st)
	};
	if (st.win)
		opts.bands = [{
			series: [2, 3],
			fill: function () {
				return theme.band;
			}
		}];
	st.plotRanged = !!st.win;
	st.plot = new uPlot(opts, chartData(st), box);
	if (st.observer)
		return;
	st.observer = new ResizeObserver(function () {
		var nw = Math.max(120, box.clientWidth);
		var nh = Math.max(60, box.clientHeight);
		if (st.plot && (nw !== st.plot.width || nh !== st.plot.height))
			st.plot.setSize({ width: nw, height: nh });
	});
	st.observer.observe(box);
}

/* Describes a chart for screen readers. */
export function chartLabel(st) {
	var n = st.xs.length;
	if (st.win) {
		var what = st.name + ' over the last ' +
		    formatDuration(st.win.seconds);
		if (n === 0)
			return what + ': no data';
		return what + ', averages of ' + formatDuration(st.win.step) +
		    ': ' + n + ' from ' +
		    formatNumber(Math.min.apply(null, st.mins)) + ' to ' +
		    formatNumber(Math.max.apply(null, st.maxs)) +
		    ', latest ' + formatNumber(st.ys[n - 1]);
	}
	if (n === 0)
		return st.name + ': no history yet';
	var span = st.xs[n - 1] - st.xs[0];
	var lo = Math.min.apply(null, st.ys);
	var hi = Math.max.apply(null, st.ys);
	return st.name + ' over the last ' + formatDuration(span) +
	    ': ' + n + ' points from ' + formatNumber(lo) + ' to ' +
	    formatNumber(hi) + ', latest ' + formatNumber(st.ys[n - 1]);
}

/* Drops the oldest points beyond MAX_POINTS. */
export function chartTrim(st) {
	if (st.xs.length > MAX_POINTS) {
		var cut = st.xs.length - MAX_POINTS;
		st.xs.splice(0, cut);
		st.ys.splice(0, cut);
	}
}

/* Pushes st's points or buckets into the chart, creating it on first
 * use or when it changed between live and a range. */
export function chartUpdate(st) {
	if (!st.win)
		chartTrim(st);
	var box = st.chartEl;
	box.setAttribute('aria-label', chartLabel(st));
	/* What the chart holds, for tests and styles. */
	box.setAttribute('data-range', st.rangeKey);
	box.setAttribute('data-points', String(st.xs.length));
	box.setAttribute('data-band', String(st.win ? bandCount(st) : 0));
	if (typeof uPlot === 'undefined')
		return;
	if (st.plot && st.plotRanged !== !!st.win) {
		st.plot.destroy();
		st.plot = null;
	}
	if (!st.plot)
		chartCreate(st);
	else
		st.plot.setData(chartData(st));
}

/* Adds value v at time t: in the live view as a point unless a point
 * at t or later exists, in a range into its buckets.  Returns whether
 * the chart changed. */
export function chartAppend(st, t, v) {
	if (st.win || st.rangeKey !== 'live') {
		recentKeep(st, t, v);
		return bucketsAdd(st, t, v);
	}
	var n = st.xs.length;
	if (n > 0 && st.xs[n - 1] >= t)
		return false;
	st.xs.push(t);
	st.ys.push(v);
	return true;
}

/* Merges a history answer's points under the points st already holds:
 * well-formed, increasing points first, then st's later ones. */
export function historyMerge(st, points) {
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
}

/* Stops and removes stat st's chart. */
export function chartDestroy(st) {
	if (st.observer)
		st.observer.disconnect();
	if (st.plot)
		st.plot.destroy();
	st.plot = null;
}
