/*
 * The dashboard in a real browser: starts two fake upstreams and gatherd
 * on loopback, opens the page in Debian's chromium (playwright-core) and
 * checks one card per source with the API's values, a drawn chart per
 * numeric stat, live updates without a reload, a dead upstream turning its
 * card stale with error kind "connect" while the others stay ok, and the
 * polling fallback when the event stream is unavailable. The range picker:
 * each range fetches the range query (from, to, step) and the chart holds
 * its buckets, a band drawn where they spread; the URL keeps the range
 * over a reload, a link, back and forward. A second gatherd with
 * api_token_file: the page asks for the token, says when one is refused,
 * then follows the stream through fetch() with the token in a header
 * (never in a URL), keeps it over a reload, and when that stream ends or
 * fails polls with the token and goes live again; its range queries carry
 * the token. The footer's stats link is a plain link without a token and,
 * with one, opens the document in a dialog, fetched with the token. Saves
 * a screenshot to $abs_top_builddir/tests/dashboard.png and prints the
 * bytes the first load transferred. Every wait is bounded; every process
 * it started is stopped on the way out.
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
const TEST_LIMIT_MS = 180000;
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

/* Per range: its seconds and the step the page must ask for with
 * sources polled every second (max(1 s, range / 300) rounded up). */
const RANGES = {
	'15m': { seconds: 900, step: 5, label: '15 min' },
	'1h': { seconds: 3600, step: 15, label: '1 h' },
	'6h': { seconds: 21600, step: 120, label: '6 h' },
	'24h': { seconds: 86400, step: 300, label: '24 h' }
};

/* Records the page's history requests of source src; returns a list of
 * {stat, params, auth, status, doc}, filled as their answers come. */
function watchHistory(page, src) {
	const seen = [];
	page.on('response', async (r) => {
		const u = new URL(r.url());
		if (u.pathname !== `/api/v1/sources/${src}/history`)
			return;
		const e = {
			stat: u.searchParams.get('stat'),
			params: u.searchParams,
			auth: (await r.request().allHeaders()).authorization,
			status: r.status(),
			doc: null
		};
		try {
			e.doc = await r.json();
		} catch (err) {
			e.doc = null;
		}
		seen.push(e);
	});
	return seen;
}

/* What the chart of src.stat holds, per its data- attributes. */
function chartState(page, src, stat) {
	return page.evaluate(([s, k]) => {
		const c = document.querySelector(
		    `article.card[data-source="${s}"] [data-chart="${k}"]`);
		if (!c)
			return null;
		return {
			range: c.getAttribute('data-range'),
			points: Number(c.getAttribute('data-points')),
			band: Number(c.getAttribute('data-band')),
			label: c.getAttribute('aria-label')
		};
	}, [src, stat]);
}

/* Pixels of src.stat's canvas in the band's light blue (alone or under
 * the line): greener and bluer than the line's colour, so neither the
 * line (alone or over the grid) nor the axes count. */
function bandPixels(page, src, stat) {
	return page.evaluate(([s, k]) => {
		const c = document.querySelector(`article.card` +
		    `[data-source="${s}"] [data-chart="${k}"] canvas`);
		const px = c.getContext('2d').getImageData(0, 0, c.width,
		    c.height).data;
		let n = 0;
		for (let i = 0; i < px.length; i += 4)
			if (px[i + 3] > 0 && px[i + 1] >= 110 &&
			    px[i + 2] >= 205 && px[i + 2] - px[i] >= 80)
				n++;
		return n;
	}, [src, stat]);
}

/* The range the page shows: its checked radio, its URL fragment. */
async function shownRange(page) {
	const checked = await page.locator('#range input:checked')
	    .getAttribute('value');
	return { checked, hash: new URL(page.url()).hash };
}

/* Checks one range query e of range key: from, to and step right, the
 * token's header if token, a 200 with the buckets. */
function checkQuery(e, key, token) {
	const want = RANGES[key];
	const from = Number(e.params.get('from'));
	const to = Number(e.params.get('to'));
	const now = Date.now() / 1000;
	if (to - from !== want.seconds || Math.abs(to - now) > 10)
		fail(`${key}: asked from=${from} to=${to} at ${now}`);
	if (e.status !== 200)
		fail(`${key}: the range query answered ${e.status}`);
	if (token && e.auth !== `Bearer ${token}`)
		fail(`${key}: the range query sent Authorization: ${e.auth}`);
	if (e.doc.step !== want.step || e.doc.from !== from ||
	    e.doc.to !== to || !Array.isArray(e.doc.points) ||
	    e.doc.points.length === 0)
		fail(`${key}: answer ${JSON.stringify(e.doc).slice(0, 300)}`);
}

/*
 * After range key was chosen: waits for the range query of src.stat
 * (checkQuery), then for the chart to hold the latest answer's buckets
 * (or one more, a live value's) and a band where a bucket's min and max
 * differ, and for the radio button and the URL to say key.  Returns the
 * answer.
 */
async function checkRange(page, seen, src, stat, key, token) {
	const step = String(RANGES[key].step);
	const mine = () => seen.filter((x) => x.stat === stat &&
	    x.params.get('step') === step && x.doc);
	await waitFor(`the ${key} range query of ${src}.${stat}`, 10000,
	    () => mine().length > 0);
	let st;
	let doc;
	let n;
	let spread;
	await waitFor(`the ${key} chart of ${src}.${stat}`, 10000, async () => {
		const all = mine();
		all.forEach((e) => checkQuery(e, key, token));
		doc = all[all.length - 1].doc;
		n = doc.points.length;
		spread = doc.points.filter((p) => p[2] < p[3]).length;
		st = await chartState(page, src, stat);
		return st && st.range === key && st.points >= n &&
		    st.points <= n + 1 && st.band >= spread;
	}).catch((err) => fail(`${err.message}: ${JSON.stringify(st)}, ` +
	    `${n} buckets, ${spread} with min < max`));
	const shown = await shownRange(page);
	if (shown.checked !== key || shown.hash !== `#range=${key}`)
		fail(`${key}: radio ${shown.checked}, URL ${page.url()}`);
	return doc;
}

/* Chooses range key with a click on its radio button's label, as a
 * person does; checks the radio button is named by it. */
async function chooseRange(page, key) {
	const label = key === 'live' ? 'Live' : RANGES[key].label;
	await page.locator(`#range label[for="range-${key}"]`).click();
	if (!await page.getByRole('radio', { name: label, exact: true })
	    .isChecked())
		fail(`the radio button "${label}" is not checked`);
}

/*
 * The range picker on a gatherd whose sources poll every second: each
 * range fetches its query and redraws, a band where buckets spread, the
 * URL keeps the range over a reload and in a link, back and forward go
 * through the choices, Live goes back to the raw points.
 */
async function checkRanges(context, page, base) {
	/* Three 5 s buckets of history first, so that a band can show. */
	await waitFor('15 s of history', 20000, async () => {
		const to = Math.ceil(Date.now() / 1000);
		const d = await api(base, '/api/v1/sources/signups/history' +
		    `?stat=total&from=${to - 900}&to=${to}&step=5`);
		return d.points.length >= 3;
	}, 500);
	const seen = watchHistory(page, 'signups');
	const group = page.getByRole('group', { name: 'Chart range' });
	if (await group.getByRole('radio').count() !== 5)
		fail('the range picker has not 5 radio buttons');
	const live = await chartState(page, 'signups', 'total');
	if (live.range !== 'live' || new URL(page.url()).hash !== '')
		fail(`the page opens on ${live.range}, URL ${page.url()}`);

	/* The keyboard: from Live, the right arrow chooses 15 min. */
	await page.locator('#range-live').focus();
	await page.keyboard.press('ArrowRight');
	const doc = await checkRange(page, seen, 'signups', 'total', '15m');
	if (!doc.points.some((p) => p[2] < p[3]))
		fail('15 min: no bucket of a moving counter holds two values');
	const ink = await bandPixels(page, 'signups', 'total');
	if (ink < 5)
		fail(`15 min: the band has ${ink} pixels`);
	/* ratio never moves: no band, and none drawn. */
	await waitFor('the 15m chart of orders.ratio', 10000, async () =>
	    (await chartState(page, 'orders', 'ratio')).range === '15m');
	const flat = await chartState(page, 'orders', 'ratio');
	if (flat.band !== 0 || await bandPixels(page, 'orders', 'ratio') > 0)
		fail(`a band on a constant: ${JSON.stringify(flat)}`);
	log(`15 min: ${doc.points.length} buckets of 5 s, a band of ${ink} ` +
	    'pixels where they spread, none on a constant');

	for (const key of ['1h', '6h', '24h']) {
		await chooseRange(page, key);
		const d = await checkRange(page, seen, 'signups', 'total', key);
		log(`${key}: ${d.points.length} buckets of ${d.step} s`);
	}

	/* Back and forward go through the choices. */
	for (const [go, key] of [['goBack', '6h'], ['goBack', '1h'],
	    ['goForward', '6h']]) {
		seen.length = 0;
		await page[go]();
		await checkRange(page, seen, 'signups', 'total', key);
	}
	/* A reload keeps the range, and so does a link to it. */
	seen.length = 0;
	await page.reload();
	await checkRange(page, seen, 'signups', 'total', '6h');
	const p3 = await context.newPage();
	const seen3 = watchHistory(p3, 'signups');
	await p3.goto(base + '/#range=1h');
	await checkRange(p3, seen3, 'signups', 'total', '1h');
	await p3.close();
	log('back, forward, a reload and a link keep the range');

	/* Live: the raw points again (the plain form), no fragment. */
	seen.length = 0;
	await chooseRange(page, 'live');
	await waitFor('the plain history query', 10000, () =>
	    seen.some((x) => x.stat === 'total' && !x.params.has('from') &&
	    x.status === 200));
	await waitFor('the live chart', 10000, async () =>
	    (await chartState(page, 'signups', 'total')).range === 'live');
	if (new URL(page.url()).hash !== '')
		fail(`live: URL ${page.url()}`);
	/* The screenshot shows a range. */
	await chooseRange(page, '15m');
	await checkRange(page, seen, 'signups', 'total', '15m');
	log('live again, then 15 min for the screenshot');
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

	await checkRanges(context, page, base);

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

	/* Without a token the footer's links are plain links. */
	const p4 = await context.newPage();
	await p4.goto(base + '/');
	const nav = p4.waitForResponse((r) =>
	    r.request().isNavigationRequest() &&
	    new URL(r.url()).pathname === '/api/v1/stats');
	await p4.getByRole('link', { name: 'stats', exact: true }).click();
	const navd = await nav;
	if (navd.status() !== 200 || !(await navd.json()).sources)
		fail(`the footer's stats link answered ${navd.status()}`);
	await p4.close();
	log('without a token the footer\'s stats link opens the document');

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

	/* The range queries carry the token too. */
	const seenT = watchHistory(page, 'visits');
	await chooseRange(page, '1h');
	await checkRange(page, seenT, 'visits', 'total', '1h', API_TOKEN);
	log('with a token, the range queries send it and are answered');
	await checkRawToken(page, requests);

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

/* With a token, the footer's stats link opens the document in a dialog
 * through the page (fetched with the token), not as a bare link that
 * would get a 401. */
async function checkRawToken(page, requests) {
	const at = page.url();
	const n = requests.length;
	await page.getByRole('link', { name: 'stats', exact: true }).click();
	const dlg = page.getByRole('dialog', { name: '/api/v1/stats' });
	await dlg.waitFor({ state: 'visible' });
	const doc = await waitFor('the stats document in the dialog', 10000,
	    async () => {
		try {
			return JSON.parse(
			    await page.locator('#raw-body').textContent());
		} catch (e) {
			return null;
		}
	    });
	if (!doc.sources || !doc.sources.visits)
		fail(`the dialog shows ${JSON.stringify(doc).slice(0, 200)}`);
	if (page.url() !== at)
		fail(`the stats link went to ${page.url()}`);
	const sent = requests.slice(n).filter((r) =>
	    new URL(r.url()).pathname === '/api/v1/stats');
	if (sent.length === 0 || sent.some((r) => r.isNavigationRequest()))
		fail('the dialog\'s document was not fetched by the page');
	for (const r of sent)
		if ((await r.allHeaders()).authorization !== `Bearer ${API_TOKEN}`)
			fail('the dialog\'s document was fetched without the token');
	const save = await page.locator('#raw-save').getAttribute('href');
	if (!/^blob:/.test(save || ''))
		fail(`"Save as file" links to ${save}`);
	await page.keyboard.press('Escape');
	await dlg.waitFor({ state: 'hidden' });
	log('with a token, the footer\'s stats link opens in a dialog, ' +
	    'fetched with the token');
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
