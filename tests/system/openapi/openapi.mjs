/*
 * The API's OpenAPI description against the real thing.  Validates
 * lib/openapi.json with @seriousme/openapi-schema-validator, compiles each
 * of its schemas with ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect),
 * then starts fake upstreams and two real gatherds on loopback (one with
 * api_token_file) with healthy, pending, stale and failing sources, and
 * sends every endpoint and every error it has (404s, 400s of the history
 * forms, 401, 405, 413, 414, 304, HEAD, the event stream): each response's
 * status, headers, content type and body must be what the document says
 * for that path and method.  The route table (lib/routes.c) and the
 * document must name the same paths with the same token rule, and every
 * documented operation must have been seen.  Every wait is bounded; every
 * process it started is stopped on the way out.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { TestFailure, children, fail, start, stop, waitFor }
    from '../../support/procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const top = process.env.abs_top_builddir || resolve(here, '../../..');
const srcTop = process.env.abs_top_srcdir || resolve(here, '../../..');
const TEST_LIMIT_MS = 90000;
const API_TOKEN = 'openapi-T0ken.s3cret';
/* The first gatherd's allow_origins. */
const ORIGIN = 'http://dash.example';
/* Methods a path in an OpenAPI Path Item may have. */
const OPS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch',
	'trace'];

const log = (...a) => console.log('openapi:', ...a);

/* Starts gatherd on dir/NAME.conf: the [gatherd] lines, then more. */
async function startGatherd(name, dir, more) {
	const conf = join(dir, `${name}.conf`);
	writeFileSync(conf, `[gatherd]
listen = 127.0.0.1:0
web_root = ${join(srcTop, 'web')}
state_dir = ${dir}
initial_spread = 0
${more}`);
	const gd = await start(name,
	    [join(top, 'daemon', 'gatherd'), '-c', conf], 'stderr',
	    /listening on http:\/\/127\.0\.0\.1:(\d+)\//);
	return { port: gd.port, child: gd.child };
}

/*
 * Sends one request with node:http (fetch would hide HEAD's and 304's
 * lack of a body, and cannot send a body with GET); resolves with
 * {status, headers, body}.  events: resolve once that many are in.
 */
function send(port, method, path, { headers = {}, body = null,
    events = 0 } = {}) {
	return new Promise((resolveRes, reject) => {
		const req = request({ host: '127.0.0.1', port, method, path,
			headers, timeout: 5000 }, (res) => {
			let data = '';
			res.setEncoding('utf8');
			res.on('data', (d) => {
				data += d;
				if (events && data.split('\n\n').length > events) {
					req.destroy();
					resolveRes({ status: res.statusCode,
						headers: res.headers, body: data });
				}
			});
			res.on('end', () => resolveRes({ status: res.statusCode,
				headers: res.headers, body: data }));
		});
		req.on('timeout', () => req.destroy(new Error('timed out')));
		req.on('error', (e) => {
			if (!events || !req.destroyed)
				reject(new Error(`${method} ${path}: ${e.message}`));
		});
		if (body !== null)
			req.write(body);
		req.end();
	});
}

/* The document, its schemas compiled by ajv, and what was checked. */
class Contract {
	constructor(doc) {
		this.doc = doc;
		this.ajv = new Ajv2020({ strict: true, allErrors: true,
			allowUnionTypes: true });
		addFormats(this.ajv);
		/* "#/components/schemas/X" lives at "gatherd#/$defs/X". */
		const defs = {};
		for (const [k, v] of Object.entries(doc.components.schemas))
			defs[k] = this.rebase(v);
		this.ajv.addSchema({ $id: 'gatherd', $defs: defs });
		for (const k of Object.keys(defs))
			this.ajv.getSchema(`gatherd#/$defs/${k}`);
		this.validators = new Map();
		this.seen = new Set(); /* "METHOD template status" */
	}

	/* Returns schema with its component $refs made absolute. */
	rebase(schema) {
		return JSON.parse(JSON.stringify(schema).replaceAll(
		    '"#/components/schemas/', '"gatherd#/$defs/'));
	}

	/* Returns the ajv validator of an OpenAPI schema object. */
	validator(schema) {
		const key = JSON.stringify(schema);
		if (!this.validators.has(key))
			this.validators.set(key, this.ajv.compile(this.rebase(schema)));
		return this.validators.get(key);
	}

	/* Follows a "#/components/..." $ref, if obj is one. */
	deref(obj) {
		while (obj && obj.$ref) {
			const parts = obj.$ref.replace(/^#\//, '').split('/');
			obj = parts.reduce((o, p) => o[p], this.doc);
		}
		return obj;
	}

	/* Returns the document's path template serving path, or null. */
	template(path) {
		const bare = path.split('?')[0];
		const found = Object.keys(this.doc.paths).filter((t) => {
			/* The dashboard's {path} spans segments, never /api/. */
			if (t === '/{path}')
				return !bare.startsWith('/api/') && bare !== '/';
			const re = new RegExp('^' + t.replace(/\{[^}]+\}/g,
			    '[^/]+') + '$');
			return re.test(bare);
		});
		/* Most specific first: fewer parameters, then longer. */
		found.sort((a, b) => (a.split('{').length - b.split('{').length) ||
		    b.length - a.length);
		return found.length ? found[0] : null;
	}

	/* Validates value against schema, failing with what went wrong. */
	validate(what, schema, value) {
		const v = this.validator(schema);
		if (!v(value))
			fail(`${what}: does not match the document: ` +
			    this.ajv.errorsText(v.errors, { separator: '; ' }) +
			    `\n${JSON.stringify(value).slice(0, 600)}`);
	}

	/*
	 * Checks one real response against the document: the operation's
	 * response for its status (a component for the answers every path
	 * shares), its required headers, its content type and body.
	 */
	check(method, path, res, { stream = false } = {}) {
		const what = `${method} ${path} -> ${res.status}`;
		const t = this.template(path);
		let resp;
		if (method !== 'GET' && method !== 'HEAD') {
			if (res.status === 405)
				resp = this.doc.components.responses.MethodNotAllowed;
			else if (method === 'OPTIONS' && res.status === 204)
				resp = this.doc.components.responses.Preflight;
			else
				fail(`${what}: only 405 (and 204 for a preflight) ` +
				    `is documented for ${method}`);
		} else if (t === null) {
			/* No such path: a 404 under /api/ (the token first). */
			if (!path.startsWith('/api/') ||
			    ![401, 404].includes(res.status))
				fail(`${what}: the server answers a path the ` +
				    'document does not have');
			resp = this.doc.components.responses[res.status === 401 ?
			    'Unauthorized' : 'NotFound'];
		} else if ([413, 414].includes(res.status)) {
			resp = this.doc.components.responses[res.status === 413 ?
			    'PayloadTooLarge' : 'UriTooLong'];
		} else {
			const op = this.doc.paths[t][method.toLowerCase()];
			if (!op)
				fail(`${what}: no ${method} operation for ${t}`);
			resp = op.responses[String(res.status)];
			if (!resp)
				fail(`${what}: status ${res.status} is not documented ` +
				    `for ${method} ${t}`);
			this.seen.add(`${method} ${t} ${res.status}`);
		}
		resp = this.deref(resp);
		for (const [name, h0] of Object.entries(resp.headers || {})) {
			const h = this.deref(h0);
			const got = res.headers[name.toLowerCase()];
			if (got === undefined) {
				if (h.required)
					fail(`${what}: no ${name} header`);
				continue;
			}
			this.validate(`${what}: header ${name}`, h.schema, got);
		}
		const type = res.headers['content-type'];
		const bodyless = method === 'HEAD' || res.status === 304 ||
		    res.status === 204;
		if (bodyless && res.body !== '')
			fail(`${what}: a body (${res.body.length} bytes)`);
		/* HEAD's documented responses carry GET's headers only. */
		const content = method === 'HEAD' && t !== null &&
		    this.doc.paths[t].get ?
		    this.deref(this.doc.paths[t].get.responses[
			String(res.status)] || {}).content : resp.content;
		if (!content) {
			if (!bodyless)
				fail(`${what}: the document has no content, the ` +
				    `server sent ${type}`);
			return;
		}
		if (!(type in content))
			fail(`${what}: Content-Type ${type}, the document has ` +
			    Object.keys(content).join(', '));
		if (bodyless || !type.startsWith('application/json'))
			return stream ? this.checkStream(what, content[type],
			    res.body) : undefined;
		let body;
		try {
			body = JSON.parse(res.body);
		} catch (e) {
			fail(`${what}: not JSON: ${e.message}`);
		}
		this.validate(what, content[type].schema, body);
		return body;
	}

	/*
	 * Checks a stream's events, as the document's prose has them, and
	 * their data against its schema: the first one full, no later one.
	 */
	checkStream(what, media, text) {
		const events = [];
		for (const block of text.split('\n\n').slice(0, -1)) {
			if (block === ': heartbeat')
				continue;
			const m = block.match(/^event: stats\ndata: (.*)$/);
			if (!m)
				fail(`${what}: not an "event: stats" event: ` +
				    block.slice(0, 200));
			const data = JSON.parse(m[1]);
			this.validate(`${what}: event ${events.length + 1}'s data`,
			    media['x-data-schema'], data);
			if ((data.full === true) !== (events.length === 0))
				fail(`${what}: event ${events.length + 1} is ` +
				    `${data.full ? '' : 'not '}"full": true`);
			events.push(data);
		}
		return events;
	}
}

/* Returns the rows of lib/routes.c's route table. */
function routeTable() {
	const src = readFileSync(join(srcTop, 'lib', 'routes.c'), 'utf8');
	const table = src.match(/route_table\[\] = \{([\s\S]*?)\n\};/);
	if (!table)
		fail('lib/routes.c: no route_table');
	const rows = [];
	const re = /\{"([^"]*)",\s*(NULL|"[^"]*"),\s*(ROUTE_\w+),\s*([\w|() ]+),\s*([01]),\s*(\w+)\}/g;
	for (const m of table[1].matchAll(re))
		rows.push({ path: m[1], suffix: m[2] === 'NULL' ? null :
			m[2].slice(1, -1), how: m[3], token: m[5] === '1',
		handler: m[6] === 'NULL' ? null : m[6] });
	if (rows.length < 10)
		fail(`lib/routes.c: read ${rows.length} routes only`);
	return rows;
}

/*
 * Every route the server answers is in the document with GET and HEAD
 * and the same token rule, and every documented path is a route.
 */
function checkRoutes(doc) {
	const documented = new Set(Object.keys(doc.paths));
	const covered = new Set();
	for (const ro of routeTable()) {
		if (ro.handler === null)
			continue;
		let want;
		if (ro.how === 'ROUTE_EXACT')
			want = [ro.path];
		else if (ro.how === 'ROUTE_NAME')
			want = Object.keys(doc.paths).filter((t) =>
			    new RegExp('^' + ro.path + '\\{\\w+\\}' + ro.suffix + '$')
			    .test(t));
		else if (ro.path === '')
			want = ['/', '/{path}'];
		else
			want = Object.keys(doc.paths).filter((t) =>
			    new RegExp('^' + ro.path + '\\{\\w+\\}$').test(t));
		if (want.length === 0 || !want.every((t) => documented.has(t)))
			fail(`route ${ro.path}${ro.suffix ?? ''} (${ro.handler}) ` +
			    'is not in the document');
		for (const t of want) {
			covered.add(t);
			const item = doc.paths[t];
			const ops = OPS.filter((o) => item[o]);
			if (ops.join() !== 'get,head')
				fail(`${t}: the document has ${ops.join(', ')}, the ` +
				    'server GET and HEAD');
			for (const o of ops) {
				const pub = Array.isArray(item[o].security) &&
				    item[o].security.length === 0;
				if (pub === ro.token)
					fail(`${o.toUpperCase()} ${t}: the document says ` +
					    `${pub ? 'public' : 'token'}, the route table ` +
					    `${ro.token ? 'token' : 'public'}`);
			}
		}
	}
	for (const t of documented)
		if (!covered.has(t))
			fail(`${t} is in the document but no route serves it`);
}

/* Deletes a required property of a schema in a copy of doc. */
function broken(doc) {
	const copy = JSON.parse(JSON.stringify(doc));
	const s = copy.components.schemas.SourceStats;
	delete s.properties.expired;
	s.required = s.required.filter((k) => k !== 'expired');
	return copy;
}

/* The whole test; throws TestFailure on the first broken promise. */
async function run(tmp) {
	const text = readFileSync(join(srcTop, 'lib', 'openapi.json'), 'utf8');
	const doc = JSON.parse(text);
	const validator = new Validator();
	const verdict = await validator.validate(JSON.parse(text));
	if (!verdict.valid || validator.version !== '3.1')
		fail('lib/openapi.json is not a valid OpenAPI 3.1 document: ' +
		    JSON.stringify(verdict.errors, null, 1));
	log(`lib/openapi.json: valid OpenAPI ${validator.version}`);
	const c = new Contract(doc);
	checkRoutes(doc);
	log('the route table and the document name the same paths');

	const fakeBin = join(top, 'tests', 'fake-upstream');
	const fakeRe = /fake-upstream: listening on http:\/\/127\.0\.0\.1:(\d+)/;
	const up = await start('fake-upstream', [fakeBin, '-p', '0'], 'stdout',
	    fakeRe);
	const doomed = await start('fake-upstream (to be killed)',
	    [fakeBin, '-p', '0'], 'stdout', fakeRe);
	/* A port with nothing listening: a closed upstream's. */
	const dead = await start('fake-upstream (dead)', [fakeBin, '-p', '0'],
	    'stdout', fakeRe);
	await stop(dead.child);
	const u = `http://127.0.0.1:${up.port}`;
	const a = await startGatherd('gatherd', tmp, `
allow_origins = ${ORIGIN}

[budget few]
requests = 1000/1h

[source good]
url = ${u}/stats?name=good
interval = 1s
timeout = 2s
budget = few
stat total = /data/total
stat ratio = /data/ratio
stat label = /data/label
stat flag = /data/flag
stat nothing = /data/nothing

[source turns_stale]
url = http://127.0.0.1:${doomed.port}/stats?name=stale
interval = 1s
timeout = 2s
max_age = 2s
stat total = /data/total

[source pending]
url = ${u}/stats?name=pending&delay_ms=60000
interval = 1m
timeout = 50s
stat total = /data/total

[source refused]
url = http://127.0.0.1:${dead.port}/stats
interval = 1s
timeout = 2s
stat total = /data/total

[source broken]
url = ${u}/status/503
interval = 1s
timeout = 2s
stat total = /data/total

[source html]
url = ${u}/html
interval = 1s
timeout = 2s
stat total = /data/total

[source missing]
url = ${u}/missing
interval = 1s
timeout = 2s
stat total = /data/total
`);
	log(`gatherd on ${a.port}`);
	const get = async (path, opts = {}) => {
		const res = await send(a.port, opts.method || 'GET', path, opts);
		return { res, body: c.check(opts.method || 'GET', path, res, opts) };
	};

	/* Every state but "pending" reached, "stale" after its upstream dies. */
	await waitFor('good ok and the failing sources in error', 15000,
	    async () => {
		const { body } = await get('/api/v1/stats');
		const s = body.sources;
		return s.good.status === 'ok' && s.turns_stale.status === 'ok' &&
		    ['refused', 'broken', 'html', 'missing'].every((n) =>
			s[n].status === 'error');
	});
	await stop(doomed.child);
	const doc1 = await waitFor('turns_stale to be stale and expired', 15000,
	    async () => {
		const { body } = await get('/api/v1/stats');
		const s = body.sources.turns_stale;
		return s.status === 'stale' && s.expired ? body : null;
	});
	/* The stats say circuit_open once a circuit opens; the operators'
	 * view keeps the failure's own kind. */
	const kinds = {};
	for (const s of (await get('/api/v1/sources')).body.sources)
		kinds[s.name] = s.last_error && s.last_error.kind;
	log('error kinds seen:', JSON.stringify(kinds));
	for (const [n, k] of [['refused', 'connect'], ['broken', 'http_status'],
	    ['html', 'not_json'], ['missing', 'missing_stat'],
	    ['turns_stale', 'connect']]) {
		const shown = doc1.sources[n].error.kind;
		if (kinds[n] !== k || (shown !== k && shown !== 'circuit_open'))
			fail(`${n}: error kind ${kinds[n]} (stats: ${shown}), ` +
			    `want ${k}`);
	}
	if (doc1.sources.pending.status !== 'pending')
		fail(`pending: ${doc1.sources.pending.status}`);

	/* The documents, their HEADs and their 304s. */
	for (const path of ['/api/v1/stats', '/api/v1/stats/good',
	    '/api/v1/stats/pending', '/api/v1/stats/refused',
	    '/api/v1/stats/turns_stale', '/api/v1/sources', '/readyz',
	    '/api/v1/openapi.json']) {
		await get(path, { method: 'HEAD' });
		/* Sources polling at 1 s move the generation: a 304 needs the
		 * ETag of the document still current, so try a few times. */
		for (let tries = 0; tries < 20; tries++) {
			const { res } = await get(path);
			const again = await get(path,
			    { headers: { 'If-None-Match': res.headers.etag } });
			if (again.res.status === 304)
				break;
		}
	}
	const served = await send(a.port, 'GET', '/api/v1/openapi.json');
	if (served.body !== text)
		fail('/api/v1/openapi.json is not lib/openapi.json');
	for (const path of ['/api/v1/info', '/healthz', '/metrics', '/',
	    '/app.js', '/style.css', '/favicon.svg', '/js/format.mjs']) {
		const { res } = await get(path);
		await get(path, { method: 'HEAD' });
		if (res.headers['last-modified'])
			await get(path, { headers: {
				'If-Modified-Since': res.headers['last-modified'] } });
	}
	/* The history's two forms and every refusal. */
	const now = Math.floor(Date.now() / 1000);
	const h = '/api/v1/sources/good/history';
	const plain = (await get(`${h}?stat=total`)).body;
	if (!plain.points.length || 'step' in plain)
		fail(`${h}: not the plain form with points`);
	await get(`${h}?stat=label`);
	await get(`${h}?stat=ratio&since=${now - 5}.5`);
	const range = (await get(`${h}?stat=total&from=${now - 60}&to=${now + 1}` +
	    '&step=1')).body;
	if (!range.points.length || range.step !== 1)
		fail(`${h}: not the range form with points`);
	await get(`${h}?stat=total&from=${now - 60}.25&step=2.5`);
	await get(`${h}?stat=total&from=${now - 60}&step=10`, { method: 'HEAD' });
	for (const q of ['', '?stat=total&from=x&step=1', '?stat=total&from=1',
	    '?stat=total&step=1', '?stat=total&to=1', '?stat=total&from',
	    `?stat=total&from=${now}&to=${now - 1}&step=1`,
	    '?stat=total&from=0&to=100000&step=1',
	    '?stat=total&from=1&to=2&step=0.5', '?stat=total&since=-1',
	    `?stat=total&from=1&step=1&since=1`, '?stat=total&from=1&to=x&step=1',
	    '?stat=total&from=1&step=s']) {
		const { res } = await get(h + q);
		if (res.status !== 400)
			fail(`${h}${q}: ${res.status}, not 400`);
	}
	for (const path of [`${h}?stat=nosuch`, '/api/v1/sources/nosuch/history' +
	    '?stat=total', '/api/v1/stats/nosuch', '/api/v1/nosuch', '/api/v1/',
	    '/nosuch.html', '/.hidden', '/js/../index.html']) {
		const { res } = await get(path);
		if (res.status !== 404)
			fail(`${path}: ${res.status}, not 404`);
	}
	/* The event stream: headers, then the first event. */
	await get('/api/v1/events', { method: 'HEAD' });
	const ev = (await get('/api/v1/events', { events: 2,
		stream: true })).body;
	if (ev.length !== 2 || Object.keys(ev[0].sources).length !== 7)
		fail('the stream\'s first event does not hold every source, ' +
		    'or no second one came');
	/* What no path allows. */
	for (const [m, path] of [['POST', '/api/v1/stats'], ['PUT', '/'],
	    ['DELETE', '/healthz'], ['PATCH', '/api/v1/openapi.json'],
	    ['POST', '/api/v1/events']]) {
		const { res } = await get(path, { method: m });
		if (res.status !== 405)
			fail(`${m} ${path}: ${res.status}, not 405`);
	}
	/* CORS: a preflight from the allowed origin, its header on a GET. */
	for (const path of ['/api/v1/stats', '/api/v1/nosuch', '/'])
		if ((await get(path, { method: 'OPTIONS',
		    headers: { Origin: ORIGIN } })).res.status !== 204)
			fail(`OPTIONS ${path} from ${ORIGIN}: not 204`);
	if ((await get('/api/v1/stats', { method: 'OPTIONS', headers:
	    { Origin: 'http://other.example' } })).res.status !== 405)
		fail('OPTIONS from another origin: not 405');
	if ((await get('/api/v1/stats', { headers: { Origin: ORIGIN } }))
	    .res.headers['access-control-allow-origin'] !== ORIGIN)
		fail(`GET from ${ORIGIN}: no Access-Control-Allow-Origin`);
	if ((await get('/api/v1/stats', { body: 'x', headers:
	    { 'Content-Length': '1' } })).res.status !== 413)
		fail('GET with a body: not 413');
	if ((await get('/api/v1/stats?x=' + 'a'.repeat(2100))).res.status !== 414)
		fail('a 2100-byte URL: not 414');

	/* The schemas have teeth: a document without "expired" is refused. */
	const bad = new Contract(broken(doc));
	let refused = false;
	try {
		bad.check('GET', '/api/v1/stats', await send(a.port, 'GET',
		    '/api/v1/stats'));
	} catch (e) {
		refused = e instanceof TestFailure;
	}
	if (!refused)
		fail('a stats document with a field the schema lacks passed');

	/* A second gatherd with api_token_file: 401s, and public paths. */
	writeFileSync(join(tmp, 'api.token'), API_TOKEN + '\n');
	const b = await startGatherd('gatherd-token', tmp, `
api_token_file = ${join(tmp, 'api.token')}

[source good]
url = ${u}/stats?name=good
interval = 1s
timeout = 2s
stat total = /data/total
`);
	const auth = { Authorization: `Bearer ${API_TOKEN}` };
	for (const [path, want, headers] of [
		['/api/v1/stats', 401, {}],
		['/api/v1/stats', 401, { Authorization: 'Bearer wrong' }],
		['/api/v1/stats', 200, auth],
		['/api/v1/stats/good', 401, {}],
		['/api/v1/sources', 401, {}],
		['/api/v1/sources/good/history?stat=total', 401, {}],
		['/api/v1/info', 401, {}],
		['/api/v1/events', 401, {}],
		['/metrics', 401, {}],
		['/metrics', 200, auth],
		['/api/v1/nosuch', 401, {}],
		['/api/v1/nosuch', 404, auth],
		['/healthz', 200, {}],
		['/readyz', 200, {}],
		['/api/v1/openapi.json', 200, {}],
		['/', 200, {}]]) {
		for (const m of ['GET', 'HEAD']) {
			const res = await send(b.port, m, path, { headers });
			c.check(m, path, res);
			if (res.status !== want)
				fail(`token gatherd: ${m} ${path}: ${res.status}, ` +
				    `not ${want}`);
		}
	}

	/* Every documented operation and status seen at least once, but the
	 * ones no test can cause (out of memory, unreadable files, too many
	 * streams, a web_root without index.html); HEAD's 200 on each path. */
	const unreachable = (t, s) => ['500', '503'].includes(s) ||
	    (t === '/' && s === '404');
	const missed = [];
	for (const [t, item] of Object.entries(doc.paths)) {
		for (const s of Object.keys(item.get.responses))
			if (!unreachable(t, s) && !c.seen.has(`GET ${t} ${s}`))
				missed.push(`GET ${t} ${s}`);
		if (!c.seen.has(`HEAD ${t} 200`))
			missed.push(`HEAD ${t} 200`);
	}
	if (missed.length)
		fail(`documented but never seen: ${missed.join('; ')}`);
	log(`${c.seen.size} (method, path, status) seen, all as documented`);
}

const tmp = mkdtempSync(join(tmpdir(), 'gatherd-openapi-'));
const guard = setTimeout(() => {
	console.error(`openapi: FAIL: over ${TEST_LIMIT_MS / 1000} s`);
	for (const { child } of children)
		child.kill('SIGKILL');
	process.exit(1);
}, TEST_LIMIT_MS);
let code = 0;
try {
	await run(tmp);
	log('PASS');
} catch (e) {
	console.error(`openapi: FAIL: ${e instanceof TestFailure ? e.message :
	    e.stack}`);
	code = 1;
} finally {
	for (const { child } of children.reverse())
		await stop(child);
	clearTimeout(guard);
	rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
