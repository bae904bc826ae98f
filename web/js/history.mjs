/*
 * What each chart shows, fetched from the history endpoint for the range
 * the picker holds.  Live: the raw points (plain form), once per daemon
 * start, then every value the stream brings.  A range: the range form's
 * [t, avg, min, max] buckets over the last 15 min to 24 h, at a step that
 * gives at most about 300 buckets; values the stream brings meanwhile
 * fold into the last bucket or start a new one, and the range is fetched
 * again every minute or every step, whichever is longer, so that the
 * daemon's own figures (and its rollups) replace the folded ones, and
 * at once when the operators' view brings a source's interval that
 * calls for another step than the one asked for.
 */
import { getJSON } from './api.mjs';
import { chartUpdate, historyMerge } from './charts.mjs';
import { pickerRange } from './picker.mjs';
import { bucketsSet, rangePath, rangeStep, rangeWindow }
    from './range.mjs';

/* A range is fetched again after this many seconds, or after its step
 * when that is longer. */
var REFETCH_S = 60;

/* Seconds between src's polls, per the operators' view (1 until it
 * answers). */
function intervalOf(src) {
	var s = src.op && src.op.interval_seconds;
	return typeof s === 'number' && s > 0 ? s : 1;
}

/* Empties stat st's chart for range r (its buckets come with the
 * answer; values arriving meanwhile wait in st.recent). */
function historyReset(st, r, w) {
	st.rangeKey = r.key;
	st.xs = [];
	st.ys = [];
	st.recent = [];
	if (r.seconds) {
		st.mins = [];
		st.maxs = [];
		st.win = { from: w.from, to: w.to, step: w.step,
			seconds: r.seconds };
		st.lastT = 0;
		st.lastN = 0;
	} else {
		st.mins = null;
		st.maxs = null;
		st.win = null;
	}
}

/*
 * Fetches what stat st of source record src shows for the picker's
 * range, once per daemon start (key: its started_at) and range, or
 * again if again is set; a change of either starts over, an answer for
 * an older request is dropped.
 */
export function historyLoad(src, st, key, again) {
	var r = pickerRange();
	var want = key + ' ' + r.key;
	if (st.historyFor === want && !again)
		return;
	var interval = intervalOf(src);
	var w = rangeWindow(r, interval, Date.now() / 1000);
	if (st.historyFor !== want)
		historyReset(st, r, w);
	st.historyFor = want;
	st.loadedAt = Date.now() / 1000;
	var seq = (st.loadSeq || 0) + 1;
	st.loadSeq = seq;
	var path = r.seconds ? rangePath(src.name, st.name, w) :
	    'sources/' + encodeURIComponent(src.name) + '/history?stat=' +
	    encodeURIComponent(st.name);
	getJSON(path).then(function (doc) {
		if (st.loadSeq !== seq)
			return;
		if (r.seconds)
			bucketsSet(st, doc, w, interval);
		else
			historyMerge(st, Array.isArray(doc.points) ?
			    doc.points : []);
		chartUpdate(st);
	}).catch(function () {
		if (st.loadSeq !== seq)
			return;
		/* No history (yet): the chart fills from events, and a
		 * range is asked for again when it is due. */
		if (!r.seconds)
			st.historyFor = undefined;
		chartUpdate(st);
	});
	if (st.plot)
		chartUpdate(st);
}

/* Fetches stat st's range again when it is due at unix time nowSec
 * (see REFETCH_S); the live view is never fetched again. */
export function historyRefresh(src, st, key, nowSec) {
	var w = st.win;
	if (!w || !st.chartEl ||
	    nowSec - st.loadedAt < Math.max(REFETCH_S, w.step))
		return;
	historyLoad(src, st, key, true);
}

/* Fetches stat st's range again when src's interval, now known, calls
 * for another step than the one its chart was fetched with. */
export function historyRestep(src, st, key) {
	var w = st.win;
	if (w && st.chartEl && rangeStep(w.seconds, intervalOf(src)) !== w.step)
		historyLoad(src, st, key, true);
}
