/*
 * Access to gatherd's API, relative to the page so that it also works
 * behind a path prefix.  When the API answers 401 (api_token_file) the
 * page asks for the token once, keeps it in sessionStorage for this tab
 * and sends it as a bearer token; the requests that met the 401 wait for
 * it and are sent again.  Owns the token and the token form.
 */

/* Relative, so the page also works behind a path prefix. */
export var API = 'api/v1/';
/* Where the API token is kept: for this tab, until it is closed. */
var TOKEN_KEY = 'gatherd.token';

var token = tokenLoad(); /* the API's bearer token, or null */
var tokenWaiters = []; /* resolve functions waiting for a token */

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

/* Whether there is a token to send (the stream then needs fetch()). */
export function apiHasToken() {
	return token !== null;
}

/* Shows the token form; refused says the last token was wrong. */
function tokenAsk(refused) {
	var form = document.getElementById('token-form');
	var msg = document.getElementById('token-message');
	if (refused || form.hidden) {
		msg.textContent = refused ?
		    'The token was refused. Enter the API token again.' :
		    'This gatherd needs its API token.';
		msg.classList.toggle('refused', refused);
	}
	if (form.hidden) {
		form.hidden = false;
		document.getElementById('token-input').focus();
	}
}

/* Takes the token typed in and lets the waiting requests go on. */
function tokenSubmit(ev) {
	ev.preventDefault();
	var input = document.getElementById('token-input');
	var t = input.value.trim();
	if (!t)
		return;
	input.value = '';
	document.getElementById('token-form').hidden = true;
	tokenSave(t);
	tokenWaiters.splice(0).forEach(function (resolve) {
		resolve();
	});
}

/* Listens to the token form. */
export function apiStart() {
	document.getElementById('token-form')
	    .addEventListener('submit', tokenSubmit);
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
export function apiFetch(p, opts) {
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
export function getJSON(p) {
	return apiFetch(p, {
		headers: { Accept: 'application/json' }
	}).then(function (r) {
		if (!r.ok)
			throw new Error(p + ': HTTP ' + r.status);
		return r.json();
	});
}
