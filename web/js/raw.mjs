/*
 * The footer's raw JSON links.  Without a token they are plain links to
 * the documents.  With a token (api_token_file) a browser following one
 * gets a 401, as a link cannot send the Authorization header, so a click
 * on a link marked data-raw opens the document through the page
 * instead: fetched with the token, shown indented in a dialog, with a
 * link to save it as a file (a blob: URL; the token never goes in one).
 */
import { apiFetch, apiHasToken } from './api.mjs';

var $ = function (id) {
	return document.getElementById(id);
};

var blobUrl = null; /* the shown document's blob: URL, or null */

/* Forgets the saved document's blob: URL. */
function rawForget() {
	if (blobUrl)
		URL.revokeObjectURL(blobUrl);
	blobUrl = null;
	$('raw-save').removeAttribute('href');
}

/* Shows text (a document of path p, or an error) in the dialog. */
function rawShow(p, text, ok) {
	var body = $('raw-body');
	rawForget();
	body.textContent = text;
	body.classList.toggle('failed', !ok);
	if (ok) {
		blobUrl = URL.createObjectURL(new Blob([text],
		    { type: 'application/json' }));
		var save = $('raw-save');
		save.href = blobUrl;
		save.download = p.replace(/\//g, '-') + '.json';
	}
	$('raw-save').hidden = !ok;
}

/* Opens API path p in the dialog, fetched with the token. */
function rawOpen(p) {
	var dlg = $('raw');
	$('raw-title').textContent = '/api/v1/' + p;
	rawShow(p, 'Loading…', false);
	if (!dlg.open)
		dlg.showModal();
	apiFetch(p, { headers: { Accept: 'application/json' } })
	    .then(function (r) {
		return r.text().then(function (text) {
			if (!r.ok)
				throw new Error('HTTP ' + r.status + ': ' +
				    text);
			return text;
		});
	    })
	    .then(function (text) {
		var shown = text;
		try {
			shown = JSON.stringify(JSON.parse(text), null, 2);
		} catch (e) {
			/* Not JSON after all: shown as it came. */
		}
		rawShow(p, shown, true);
	    })
	    .catch(function (e) {
		rawShow(p, 'Could not load /api/v1/' + p + ': ' + e.message,
		    false);
	    });
}

/* A click on a footer link: through the page when a token is in use
 * (a plain click only; a new tab still gets the bare link). */
function rawClick(ev) {
	var a = ev.currentTarget;
	if (!apiHasToken() || ev.button !== 0 || ev.ctrlKey || ev.metaKey ||
	    ev.shiftKey || ev.altKey)
		return;
	ev.preventDefault();
	rawOpen(a.getAttribute('data-raw'));
}

/* Listens to the footer's links and the dialog. */
export function rawStart() {
	document.querySelectorAll('a[data-raw]').forEach(function (a) {
		a.addEventListener('click', rawClick);
	});
	$('raw-close').addEventListener('click', function () {
		$('raw').close();
	});
	$('raw').addEventListener('close', rawForget);
}
