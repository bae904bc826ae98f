/*
 * The chart ranges, pure: the choices (live, 15 min, 1 h, 6 h, 24 h),
 * how one is written in the URL (#range=6h), the window and step of its
 * query to the history endpoint, and a range answer's [t, avg, min, max]
 * buckets as a chart's arrays, with live values folded into them.  No
 * DOM and no clock: times come in as arguments, so node --test runs it.
 */

/* The choices: key (in the URL), label, seconds (0: live, the raw
 * points the daemon holds, as the page showed before ranges). */
export var RANGES = [
	{ key: 'live', label: 'Live', seconds: 0 },
	{ key: '15m', label: '15 min', seconds: 900 },
	{ key: '1h', label: '1 h', seconds: 3600 },
	{ key: '6h', label: '6 h', seconds: 21600 },
	{ key: '24h', label: '24 h', seconds: 86400 }
];

/* At most about this many buckets a chart. */
export var MAX_BUCKETS = 300;

/* Steps a range query may use, seconds: "nice" values a person reads. */
var STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
    7200, 10800, 21600, 43200, 86400];

/* Recent raw values kept per stat, folded in after a range answer. */
var RECENT_MAX = 64;

/* The range whose key is key, or null. */
export function rangeFind(key) {
	for (var i = 0; i < RANGES.length; i++)
		if (RANGES[i].key === key)
			return RANGES[i];
	return null;
}

/* The range a URL fragment names ("#range=6h"); live when it names
 * none or one that does not exist. */
export function rangeFromHash(hash) {
	var params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
	return rangeFind(params.get('range')) || RANGES[0];
}

/* The URL fragment for range r: "" for live (the default), else
 * "#range=KEY". */
export function rangeHash(r) {
	return r.seconds ? '#range=' + r.key : '';
}

/* The step for a range of seconds over a stat polled every interval
 * seconds: max(interval, seconds / MAX_BUCKETS) rounded up to a nice
 * step. */
export function rangeStep(seconds, interval) {
	var want = Math.max(interval > 0 ? interval : 1, seconds / MAX_BUCKETS);
	for (var i = 0; i < STEPS.length; i++)
		if (STEPS[i] >= want)
			return STEPS[i];
	return Math.ceil(want / 86400) * 86400;
}

/* The query window of range r at unix time nowSec: {from, to, step},
 * whole seconds, to - from = r.seconds. */
export function rangeWindow(r, interval, nowSec) {
	var to = Math.ceil(nowSec);
	return {
		from: to - r.seconds,
		to: to,
		step: rangeStep(r.seconds, interval)
	};
}

/* The API path of the range query for stat of source src over w. */
export function rangePath(src, stat, w) {
	return 'sources/' + encodeURIComponent(src) + '/history?stat=' +
	    encodeURIComponent(stat) + '&from=' + w.from + '&to=' + w.to +
	    '&step=' + w.step;
}

/* Points of one bucket kept in a chart: whole-number times, avg, min,
 * max. */
function bucketOk(p) {
	return Array.isArray(p) && p.length >= 4 && p.slice(0, 4).every(
	    function (x) {
		    return typeof x === 'number' && isFinite(x);
	    });
}

/*
 * Gives chart record st the buckets of range answer doc for window w of
 * a stat polled every interval seconds: xs (bucket starts), ys (avgs),
 * mins, maxs, in increasing time; malformed buckets are dropped.  The
 * last bucket may still be filling: its count of points is taken as one
 * per interval up to w.to, so that live values weigh in its average.
 */
export function bucketsSet(st, doc, w, interval) {
	var step = w.step;
	st.xs = [];
	st.ys = [];
	st.mins = [];
	st.maxs = [];
	(Array.isArray(doc.points) ? doc.points : []).forEach(function (p) {
		var n = st.xs.length;
		if (!bucketOk(p) || (n > 0 && p[0] <= st.xs[n - 1]))
			return;
		st.xs.push(p[0]);
		st.ys.push(p[1]);
		st.mins.push(p[2]);
		st.maxs.push(p[3]);
	});
	st.win = { from: w.from, to: w.to, step: step,
		seconds: w.to - w.from };
	st.lastT = w.to;
	var n = st.xs.length;
	st.lastN = n ? Math.max(1, Math.min(
	    Math.floor(step / Math.max(interval, 1)),
	    Math.floor((w.to - st.xs[n - 1]) / Math.max(interval, 1)) + 1)) :
	    0;
	(st.recent || []).forEach(function (p) {
		bucketsAdd(st, p[0], p[1]);
	});
}

/*
 * Folds a live value v at time t into st's buckets: into the last one
 * when t falls in it (min and max exact, the average weighted by its
 * count), else as a new bucket; buckets that left the window are
 * dropped.  Values at or before the last one taken are ignored.
 * Returns whether st changed.
 */
export function bucketsAdd(st, t, v) {
	var w = st.win;
	if (!w || t <= st.lastT)
		return false;
	st.lastT = t;
	var b = Math.floor(t / w.step) * w.step;
	var n = st.xs.length;
	if (n > 0 && st.xs[n - 1] === b) {
		var c = st.lastN;
		st.ys[n - 1] = (st.ys[n - 1] * c + v) / (c + 1);
		st.mins[n - 1] = Math.min(st.mins[n - 1], v);
		st.maxs[n - 1] = Math.max(st.maxs[n - 1], v);
		st.lastN = c + 1;
	} else {
		st.xs.push(b);
		st.ys.push(v);
		st.mins.push(v);
		st.maxs.push(v);
		st.lastN = 1;
	}
	if (t > w.to) {
		w.to = Math.ceil(t);
		w.from = w.to - w.seconds;
	}
	var cut = 0;
	while (cut < st.xs.length && st.xs[cut] + w.step <= w.from)
		cut++;
	if (cut) {
		st.xs.splice(0, cut);
		st.ys.splice(0, cut);
		st.mins.splice(0, cut);
		st.maxs.splice(0, cut);
	}
	return true;
}

/* Remembers raw value v at time t for the next range answer (values
 * that arrive while it is on its way). */
export function recentKeep(st, t, v) {
	if (!st.recent)
		st.recent = [];
	st.recent.push([t, v]);
	if (st.recent.length > RECENT_MAX)
		st.recent.splice(0, st.recent.length - RECENT_MAX);
}

/* How many of st's buckets hold different values (min < max): where
 * the chart draws a band. */
export function bandCount(st) {
	var k = 0;
	for (var i = 0; i < (st.mins || []).length; i++)
		if (st.mins[i] < st.maxs[i])
			k++;
	return k;
}
