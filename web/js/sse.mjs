/*
 * The Server-Sent Events wire format, as the dashboard reads it when the
 * stream comes through fetch() (EventSource parses it itself).  Pure: it
 * is fed decoded text in whatever chunks arrive and calls back once per
 * complete event.  Only the "event" and "data" fields matter here; ids,
 * retry and comments are skipped.
 */

/*
 * Returns a function that takes the next chunk of the stream's text and
 * calls onEvent(type, data) for every event it completes ("message" when
 * the event names no type; data lines joined with newlines).
 */
export function sseParser(onEvent) {
	var buf = '';
	var type = '';
	var data = [];
	/* One line of the stream: a field, a comment or the blank line that
	 * ends an event. */
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
	return function (text) {
		buf += text;
		var lines = buf.split('\n');
		buf = lines.pop();
		lines.forEach(function (l) {
			line(l.replace(/\r$/, ''));
		});
	};
}
