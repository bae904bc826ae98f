/*
 * The dashboard in a real browser: starts two fake upstreams and gatherd
 * on loopback, opens the page in Debian's chromium (playwright-core) and
 * checks one card per source with the API's values, a drawn chart per
 * numeric stat, live updates without a reload, a dead upstream turning
 * its card stale with error kind "connect" while the others stay ok, and
 * the polling fallback when the event stream is unavailable.  A second
 * gatherd with api_token_file: the page asks for the token, says when one
 * is refused, then follows the stream through fetch() with the token in a
 * header (never in a URL), keeps it over a reload, and when that stream
 * ends or fails polls with the token and goes live again.  Saves a
 * screenshot to $abs_top_builddir/tests/dashboard.png and prints the bytes
 * the first load transferred.  Every wait is bounded; every process it
 * started is stopped on the way out.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { TestFailure, children, fail, sleep, start, stop, waitFor }
    from '../../support/procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const top = process.env.abs_top_builddir || resolve(here, '../../..');
const srcTop = process.env.abs_top_srcdir || resolve(here, '../../..');
const webRoot = process.env.GATHERD_WEB_ROOT || join(srcTop, 'web');
const CHROMIUM = '/usr/bin/chromium';
const TEST_LIMIT_MS = 120000;
/* "bad" is stale this long after its upstream dies, then expired. */
const BAD_MAX_AGE = 10;
/* The second gatherd's api_token_file holds this. */
const API_TOKEN = 'dashboard-T0ken.s3cret';

let scratch = null; /* the temporary directory */
const log = (...a) => console.log('dashboard:', ...a);

/* Starts gatherd on dir/gatherd.conf, made of the [gatherd] lines every
 * run needs and then more; resolves with its base URL. */
async function startGatherd(name, dir, more) {
	const conf = join(dir, 'gatherd.conf');
	writeFileSync(conf, `[gatherd]
listen = 127.0.0.1:0
web_root = ${webRoot}
state_dir = ${dir}
initial_spread = 0
${more}`);
	const gd = await start(name,
	    [join(top, 'daemon', 'gatherd'), '-c', conf], 'stderr',
	    /listening on http:\/\/127\.0\.0\.1:(\d+)\//);
	return `http://127.0.0.1:${gd.port}`;
}

/* GETs a JSON document from gatherd with a bounded wait (and a token). */
async function api(base, path, token) {
	const r = await fetch(base + path, {
		headers: token ? { Authorization: `Bearer ${token}` } : {},
		signal: AbortSignal.timeout(5000)
	});
	if (!r.ok)
		fail(`${path}: HTTP ${r.status}`);
	return r.json();
}

/* Everything the cards show, read from the page in one go. */
function readCards(page) {
	return page.evaluate(() => {
		const out = {};
		for (const card of document.querySelectorAll('article.card')) {
			const stats = {};
			for (const row of card.querySelectorAll('[data-stat]')) {
				const v = row.querySelector('.value');
				stats[row.getAttribute('data-stat')] = {
					raw: v.getAttribute('value'),
					text: v.textContent
				};
			}
			const badge = card.querySelector('.badge');
			const problem = card.querySelector('.problem');
			out[card.getAttribute('data-source')] = {
				status: badge && badge.getAttribute('data-status'),
				badge: badge && badge.textContent,
				updated: card.querySelector('.updated').textContent,
				kind: problem && !problem.hidden ?
				    problem.getAttribute('data-error-kind') : null,
				problem: problem && !problem.hidden ?
				    problem.textContent : null,
				stats
			};
		}
		return out;
	});
}

/* The stat values the page should show for a stats entry. */
function expectedText(v) {
	if (typeof v === 'number')
		return new Intl.NumberFormat('en-US', {
			maximumFractionDigits: 2
		}).format(v);
	return v === null ? '–' : String(v);
}

/* Compares the cards with a stats document; returns a mismatch or null. */
function compare(cards, doc) {
	const want = Object.keys(doc.sources).sort();
	const got = Object.keys(cards).sort();
	if (want.join() !== got.join())
		return `cards ${got.join(',')} but sources ${want.join(',')}`;
	for (const name of want) {
		const s = doc.sources[name];
		for (const [k, v] of Object.entries(s.values)) {
			const c = cards[name].stats[k];
			if (!c)
				return `${name}: no [data-stat="${k}"]`;
			if (c.raw !== String(v))
				return `${name}.${k}: page ${c.raw}, API ${v}`;
			if (c.text !== expectedText(v))
				return `${name}.${k}: shows "${c.text}", ` +
				    `want "${expectedText(v)}"`;
		}
		const status = s.expired ? 'expired' : s.status;
		if (cards[name].status !== status)
			return `${name}: badge ${cards[name].status}, API ${status}`;
	}
	return null;
}

/* Waits until the cards show the values the API has (counters move, so
 * it retries briefly). */
async function waitCards(page, base, token) {
	let mismatch = null;
	await waitFor('the cards to match /api/v1/stats', 10000, async () => {
		const d = await api(base, '/api/v1/stats', token);
		mismatch = compare(await readCards(page), d);
		return mismatch === null;
	}, 250).catch((e) => {
		fail(`${e.message}: ${mismatch}`);
	});
}

/* Checks every numeric stat has a chart with a drawn, non-empty canvas. */
async function checkCharts(page, doc) {
	for (const [name, s] of Object.entries(doc.sources)) {
		for (const [k, v] of Object.entries(s.values)) {
			if (typeof v !== 'number')
				continue;
			const sel = `article.card[data-source="${name}"] ` +
			    `[data-chart="${k}"] canvas`;
			await waitFor(`a drawn chart for ${name}.${k}`, 10000,
			    () => page.evaluate((q) => {
				const c = document.querySelector(q);
				if (!c)
					return false;
				const r = c.getBoundingClientRect();
				if (r.width < 50 || r.height < 30)
					return false;
				const ctx = c.getContext('2d');
				const px = ctx.getImageData(0, 0, c.width,
				    c.height).data;
				let ink = 0;
				for (let i = 3; i < px.length; i += 4)
					if (px[i] !== 0)
						ink++;
				return ink > 100;
			    }, sel));
		}
	}
}

/* The whole test; throws TestFailure on the first broken promise. */
async function run(tmp) {
	const fakeBin = join(top, 'tests', 'fake-upstream');
	const fakeRe = /fake-upstream: listening on http:\/\/127\.0\.0\.1:(\d+)/;

	const up = await start('fake-upstream', [fakeBin, '-p', '0'], 'stdout',
	    fakeRe);
	const doomed = await start('fake-upstream (to be killed)',
	    [fakeBin, '-p', '0'], 'stdout', fakeRe);
	const base = await startGatherd('gatherd', tmp, `
[source signups]
url = http://127.0.0.1:${up.port}/stats?name=signups
interval = 1s
timeout = 2s
stat total = /data/total
stat active = /data/active
stat label = /data/label

[source orders]
url = http://127.0.0.1:${up.port}/stats?name=orders
interval = 1s
timeout = 2s
stat total = /data/total
stat ratio = /data/ratio

[source bad]
url = http://127.0.0.1:${doomed.port}/stats?name=bad&delay_ms=0
interval = 1s
timeout = 2s
max_age = ${BAD_MAX_AGE}s
stat total = /data/total
`);
	log(`gatherd on ${base}, upstreams on ${up.port} and ${doomed.port}`);

	await waitFor('every source ok in /api/v1/stats', 15000, async () => {
		const d = await api(base, '/api/v1/stats');
		return Object.values(d.sources).every((s) => s.status === 'ok');
	});
	const index = await fetch(base + '/');
	if (!index.ok || !/text\/html/.test(index.headers.get('content-type')))
		fail(`GET / answered ${index.status} ` +
		    `${index.headers.get('content-type')}, not the dashboard ` +
		    `(web_root = ${webRoot})`);
	const hasInfo = (await fetch(base + '/api/v1/info')).ok;

	const profile = join(tmp, 'profile');
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu',
		    '--disable-background-networking',
		    '--disable-component-update', '--disable-sync',
		    '--no-first-run'],
		viewport: { width: 1280, height: 900 },
		locale: 'en-US',
		timeout: 30000
	});
	try {
		await browse(context, base, hasInfo, doomed);
		await browseToken(context, tmp, up.port);
	} finally {
		await context.close();
	}
}

/* The checks in the browser. */
async function browse(context, base, hasInfo, doomed) {
	const page = context.pages()[0] || await context.newPage();
	page.setDefaultTimeout(10000);
	const problems = [];
	page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error')
			problems.push(`console error: ${m.text()}`);
	});
	/* The page runs under the daemon's own Content-Security-Policy (no
	 * inline script or style); a violation shows as a console error. */
	/* Bytes on the wire for the first load (the stream excluded). */
	const cdp = await context.newCDPSession(page);
	await cdp.send('Network.enable');
	const urls = new Map();
	const sizes = new Map();
	cdp.on('Network.responseReceived', (e) =>
	    urls.set(e.requestId, e.response.url));
	cdp.on('Network.loadingFinished', (e) =>
	    sizes.set(e.requestId, e.encodedDataLength));

	const first = await page.goto(base + '/', { waitUntil: 'load' });
	const csp = first.headers()['content-security-policy'] || '';
	if (!csp.includes("script-src 'self'") || csp.includes('unsafe-inline'))
		throw new Error(`dashboard served without a strict CSP: ${csp}`);
	const doc = await api(base, '/api/v1/stats');
	const names = Object.keys(doc.sources);
	await waitFor(`${names.length} cards`, 10000, async () =>
	    (await page.locator('article.card').count()) === names.length);

	await waitCards(page, base);
	log('cards match /api/v1/stats');

	await checkCharts(page, doc);
	log('a drawn chart per numeric stat');

	const summary = await page.locator('#summary').textContent();
	if (!/3 ok/.test(summary))
		fail(`#summary says "${summary}", want 3 ok`);
	if (hasInfo) {
		const info = await api(base, '/api/v1/info');
		await waitFor('the version in the header', 5000, async () =>
		    (await page.locator('#version').textContent()) ===
		    info.version);
	}

	await sleep(500);
	let bytes = 0;
	const rows = [];
	for (const [id, n] of sizes) {
		bytes += n;
		rows.push(`${String(n).padStart(7)}  ${urls.get(id) || id}`);
	}
	log(`first load: ${sizes.size} responses, ${bytes} bytes transferred` +
	    ' (headers included)\n' + rows.join('\n'));
	await cdp.detach();

	/* A new upstream value shows up without a reload. */
	const before = (await readCards(page)).signups.stats.total.raw;
	await waitFor('signups.total to change on the page', 10000, async () =>
	    (await readCards(page)).signups.stats.total.raw !== before);
	log(`signups.total went from ${before} without a reload`);

	/* One upstream dies: its card goes stale with kind connect. */
	await stop(doomed.child);
	log('killed the upstream of "bad"');
	let cards;
	await waitFor('"bad" to turn stale with error kind connect', 15000,
	    async () => {
		cards = await readCards(page);
		return cards.bad.status === 'stale' &&
		    cards.bad.kind === 'connect';
	    });
	if (!/^stale · \d+ s$/.test(cards.bad.badge))
		fail(`stale badge says "${cards.bad.badge}", want "stale · N s"`);
	for (const n of ['signups', 'orders'])
		if (cards[n].status !== 'ok')
			fail(`${n} is ${cards[n].status} while only bad failed`);
	log(`bad: badge "${cards.bad.badge}", problem "${cards.bad.problem}"`);
	await waitFor('"updated N s ago" to tick', 5000, async () =>
	    (await readCards(page)).bad.updated !== cards.bad.updated);
	await waitFor('#summary to count the stale source', 5000, async () =>
	    /2 ok.*1 stale/.test(await page.locator('#summary').textContent()));

	const shot = join(top, 'tests', 'dashboard.png');
	await page.screenshot({ path: shot, fullPage: true });
	log(`screenshot: ${shot}`);

	/* Without the event stream the page polls and still updates. */
	const p2 = await context.newPage();
	p2.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
	await p2.route('**/api/v1/events', (route) => route.abort());
	await p2.goto(base + '/');
	await waitFor('the polling fallback', 10000, async () =>
	    (await p2.locator('#link').getAttribute('data-link')) ===
	    'polling');
	const v0 = (await readCards(p2)).signups.stats.total.raw;
	await waitFor('signups.total to change while polling', 10000,
	    async () => (await readCards(p2)).signups.stats.total.raw !== v0);
	log('polling fallback updates the page');
	await p2.close();

	/* Past max_age the stale values are flagged expired. */
	await waitFor('"bad" to turn expired', (BAD_MAX_AGE + 20) * 1000,
	    async () => (await readCards(page)).bad.status === 'expired');
	await waitFor('#summary to count the expired source as failing', 5000,
	    async () => /1 failing/.test(
	    await page.locator('#summary').textContent()));
	log('bad: expired after max_age');

	if (problems.length)
		fail(problems.join('\n'));
}

/* Starts a gatherd whose API needs API_TOKEN; resolves with its base URL. */
async function startWithToken(tmp, upPort) {
	const dir = join(tmp, 'token');
	mkdirSync(dir);
	const tokenFile = join(dir, 'api.token');
	writeFileSync(tokenFile, API_TOKEN + '\n', { mode: 0o600 });
	const base = await startGatherd('gatherd (api_token_file)', dir,
	    `api_token_file = ${tokenFile}

[source visits]
url = http://127.0.0.1:${upPort}/stats?name=visits
interval = 1s
timeout = 2s
stat total = /data/total
stat active = /data/active
`);
	log(`gatherd with api_token_file on ${base}`);
	await waitFor('visits ok in /api/v1/stats', 15000, async () =>
	    (await api(base, '/api/v1/stats', API_TOKEN)).sources.visits
	    .status === 'ok');
	const r = await fetch(base + '/api/v1/stats');
	if (r.status !== 401)
		fail(`/api/v1/stats without the token answered ${r.status}`);
	return base;
}

/* Waits until the cards match the API's and updates arrive live. */
async function waitLive(page, base) {
	await waitCards(page, base, API_TOKEN);
	await waitFor('the event stream', 10000, async () =>
	    (await page.locator('#link').getAttribute('data-link')) === 'live');
}

/* The dashboard of a gatherd whose API needs a token. */
async function browseToken(context, tmp, upPort) {
	const base = await startWithToken(tmp, upPort);
	const page = await context.newPage();
	page.setDefaultTimeout(10000);
	const problems = [];
	page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
	page.on('console', (m) => {
		/* Chromium logs every 401, and the event streams the test
		 * aborts below; those are expected here. */
		const aborted = /ERR_FAILED/.test(m.text()) &&
		    new URL(m.location().url).pathname === '/api/v1/events';
		if (m.type() === 'error' && !/status of 401/.test(m.text()) &&
		    !aborted)
			problems.push(`console error: ${m.text()}`);
	});
	const requests = [];
	page.on('request', (req) => requests.push(req));
	let refusals = 0;
	page.on('response', (r) => {
		if (r.status() === 401)
			refusals++;
	});
	const form = page.locator('#token-form');
	const input = page.getByLabel('Token', { exact: true });
	const submit = page.getByRole('button', { name: 'Connect' });

	await page.goto(base + '/');
	await form.waitFor({ state: 'visible' });
	log('the page asks for the token');
	await input.fill('wrong-token');
	await submit.click();
	await waitFor('the token to be refused', 10000, async () =>
	    await form.isVisible() && /refused/.test(
	    await page.locator('#token-message').textContent()));
	if (await page.evaluate(() => sessionStorage.getItem('gatherd.token')))
		fail('a refused token is still in sessionStorage');
	log('a wrong token is refused and asked for again');
	await input.fill(API_TOKEN);
	await submit.click();
	await waitLive(page, base);
	if (await form.isVisible())
		fail('the token form is still shown with the right token');
	log('the right token shows the cards, live');

	/* Live: the stream, not polling, brings a new value. */
	const before = (await readCards(page)).visits.stats.total.raw;
	await waitFor('visits.total to change on the page', 10000, async () =>
	    (await readCards(page)).visits.stats.total.raw !== before);
	const link = await page.locator('#link').getAttribute('data-link');
	if (link !== 'live')
		fail(`updates arrive by "${link}", not the stream`);
	const streams = requests.filter((r) =>
	    new URL(r.url()).pathname === '/api/v1/events');
	if (streams.length === 0)
		fail('no request for /api/v1/events');
	for (const r of streams) {
		if (r.resourceType() !== 'fetch')
			fail(`the stream was read by ${r.resourceType()}, ` +
			    'not fetch()');
		const auth = (await r.allHeaders()).authorization;
		if (auth !== `Bearer ${API_TOKEN}`)
			fail(`the stream was asked for with Authorization: ${auth}`);
	}
	log(`visits.total went from ${before} through the fetch() stream`);

	/* A reload in the same tab: no 401, no question. */
	const seen = refusals;
	await page.reload();
	await waitLive(page, base);
	if (refusals !== seen || await form.isVisible())
		fail(`after a reload ${refusals - seen} requests got 401`);
	log('a reload keeps the token (sessionStorage)');

	/* The fetch() stream ending, then failing: the page polls (with the
	 * token), retries, and is live again once the stream is back. */
	let ended = 0;
	let aborted = 0;
	await page.route('**/api/v1/events', (route) => {
		if (ended === 0) {
			ended++;
			return route.fulfill({ status: 200,
			    contentType: 'text/event-stream', body: ': bye\n\n' });
		}
		aborted++;
		return route.abort();
	});
	await page.reload();
	await waitFor('the polling fallback after the stream ended', 10000,
	    async () => (await page.locator('#link')
	    .getAttribute('data-link')) === 'polling');
	const polled = (await readCards(page)).visits.stats.total.raw;
	await waitFor('visits.total to change while polling', 10000,
	    async () => (await readCards(page)).visits.stats.total.raw !==
	    polled);
	await waitFor('a retry of the stream that fails', 10000,
	    async () => aborted > 0);
	if (refusals !== seen || await form.isVisible())
		fail('the polling fallback was refused: no token sent');
	await page.unroute('**/api/v1/events');
	await waitFor('the stream to come back', 40000, async () =>
	    (await page.locator('#link').getAttribute('data-link')) === 'live');
	log(`the stream ended once and failed ${aborted} times; ` +
	    'the page polled meanwhile and is live again');

	for (const r of requests)
		if (r.url().includes(API_TOKEN) || r.url().includes('wrong-token'))
			fail(`a token in a URL: ${r.url()}`);
	await page.close();
	if (problems.length)
		fail(problems.join('\n'));
}

/* Runs the test under a global time limit and always cleans up. */
async function main() {
	const tmp = mkdtempSync(join(tmpdir(), 'gatherd-dashboard-'));
	scratch = tmp;
	const guard = setTimeout(() => {
		console.error(`dashboard: FAIL: no result within ` +
		    `${TEST_LIMIT_MS / 1000} s`);
		cleanup(tmp).finally(() => process.exit(1));
	}, TEST_LIMIT_MS);
	let code = 0;
	try {
		await run(tmp);
		console.log('dashboard: PASS');
	} catch (e) {
		code = 1;
		console.error('dashboard: FAIL: ' +
		    (e instanceof TestFailure ? e.message : e.stack));
		for (const { name, child } of children)
			if (child.output)
				console.error(`--- ${name} output ---\n` +
				    child.output().slice(-3000));
	} finally {
		clearTimeout(guard);
		await cleanup(tmp);
	}
	process.exit(code);
}

/* Stops every child and removes the scratch directory. */
async function cleanup(tmp) {
	await Promise.all(children.map(({ child }) => stop(child)));
	if (tmp)
		rmSync(tmp, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM'])
	process.on(sig, () => {
		console.error(`dashboard: FAIL: ${sig}`);
		cleanup(scratch).finally(() => process.exit(1));
	});

main();
