/*
 * How updates arrive.  The Server-Sent Events stream /api/v1/events,
 * whose first event holds every source, is read with EventSource, or
 * with fetch() when there is a token (EventSource cannot send it, and a
 * token never goes in a URL: URLs end up in logs).  When the stream
 * fails or ends the page polls /api/v1/stats with If-None-Match and
 * reopens the stream after a jittered backoff.  Shows which of these
 * is happening (live, polling, offline) in the header.
 */
import { API, apiFetch, apiHasToken } from './api.mjs';
import { linkSet, linkState, noticeSet } from './cards.mjs';
import { applyDoc, infoKnown, infoRefresh, opRefreshSoon }
    from './model.mjs';
import { sseParser } from './sse.mjs';

var POLL_MS = 2000;
var BACKOFF_MIN_MS = 1000;
var BACKOFF_MAX_MS = 30000;

var etag = null;
var stream = null;
var streamFailures = 0;
var streamOpened = false;
var pollTimer = null;
var polling = false;

/*
 * Reads the event stream with fetch(), which can send the token.  Calls
 * onEvent(type, data) per event and onEnd() once when the stream fails
 * or ends; returns an object whose close() stops it.
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
		var feed = sseParser(onEvent);
		/* Reads on chunk by chunk; not one promise chain, which
		 * would grow for as long as the stream lasts. */
		var next = function () {
			reader.read().then(function (c) {
				if (c.done)
					throw new Error('events: the stream ended');
				feed(dec.decode(c.value, { stream: true }));
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
export function streamOpen() {
	if (!apiHasToken() && typeof EventSource === 'undefined') {
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
	if (apiHasToken()) {
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
	setTimeout(streamOpen, ms);
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
		var link = linkState();
		linkSet('polling', 'polling every ' + POLL_MS / 1000 + ' s');
		noticeSet(null);
		/* Back after an outage: the daemon may have restarted. */
		if (!infoKnown() || link === 'offline')
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

/* The first full stats document, so cards fill before the stream. */
export function statsLoad() {
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
