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
 *
 * This is the entry point, loaded as an ES module; the rest is in js/:
 * format (numbers and durations), api (fetch and the token), sse (the
 * event stream's wire format), stream (the stream and the polling
 * fallback), source (what a card shows), model (the sources and the
 * documents applied to them), charts (uPlot), cards (the DOM), range
 * (the chart ranges and their buckets), picker (the range's radio group
 * and the URL), history (what each chart fetches for the range) and raw
 * (the footer's JSON links, through the page when a token is needed).
 */
import { apiStart } from './js/api.mjs';
import { themeRead } from './js/charts.mjs';
import { chartsReload, infoRefresh, opRefresh, retheme, tick }
    from './js/model.mjs';
import { pickerStart } from './js/picker.mjs';
import { rawStart } from './js/raw.mjs';
import { statsLoad, streamOpen } from './js/stream.mjs';

/* Loads the first state, then follows the stream. */
function start() {
	themeRead();
	apiStart();
	pickerStart(chartsReload);
	rawStart();
	var mq = window.matchMedia('(prefers-color-scheme: dark)');
	if (mq.addEventListener)
		mq.addEventListener('change', retheme);
	setInterval(tick, 1000);
	Promise.all([infoRefresh(), opRefresh(), statsLoad()])
	    .then(streamOpen);
}

if (document.readyState === 'loading')
	document.addEventListener('DOMContentLoaded', start);
else
	start();
