/*
 * The range picker: a radio group (one labelled radio button per range
 * in range.mjs, so arrow keys move between them) above the cards, and
 * the range it holds.  The choice lives in the URL's fragment
 * (#range=6h; none for live), pushed as a history entry, so that a link
 * opens the same view and back and forward go through the choices.
 */
import { RANGES, rangeFind, rangeFromHash, rangeHash } from './range.mjs';

var current = RANGES[0];
var listener = null; /* called with the new range after a change */

/* The range the charts show. */
export function pickerRange() {
	return current;
}

/* Checks the radio button of range r. */
function pickerShow(r) {
	var input = document.getElementById('range-' + r.key);
	if (input && !input.checked)
		input.checked = true;
}

/* Makes r the range, telling the listener if it changed. */
function pickerSet(r) {
	pickerShow(r);
	if (r === current)
		return;
	current = r;
	if (listener)
		listener(r);
}

/* A radio button was chosen: a new history entry, then the range. */
function pickerChoose(ev) {
	var r = rangeFind(ev.target.value);
	if (!r || r === current)
		return;
	history.pushState(null, '',
	    location.pathname + location.search + rangeHash(r));
	pickerSet(r);
}

/* The URL changed (back, forward, an edited fragment): follows it. */
function pickerFollow() {
	pickerSet(rangeFromHash(location.hash));
}

/* Builds the radio group in #range from the URL's range; onChange(r)
 * is called after each change of range. */
export function pickerStart(onChange) {
	current = rangeFromHash(location.hash);
	listener = onChange;
	var box = document.getElementById('range');
	RANGES.forEach(function (r) {
		var input = document.createElement('input');
		input.type = 'radio';
		input.name = 'range';
		input.id = 'range-' + r.key;
		input.value = r.key;
		input.checked = r === current;
		input.addEventListener('change', pickerChoose);
		var label = document.createElement('label');
		label.htmlFor = input.id;
		label.textContent = r.label;
		box.appendChild(input);
		box.appendChild(label);
	});
	box.hidden = false;
	window.addEventListener('popstate', pickerFollow);
	window.addEventListener('hashchange', pickerFollow);
}
