/*
 * What the Node system tests (the browser test, the OpenAPI test) share:
 * a failure type, bounded waits, and the programs they start (the fake
 * upstream, gatherd), each resolved once it reports its port and all
 * kept in children so that the test stops every one on the way out.
 */
import { spawn } from 'node:child_process';

/* Every program start() started, {name, child}, for the way out. */
export const children = [];

export class TestFailure extends Error {}

/* Fails the test with a message. */
export function fail(msg) {
	throw new TestFailure(msg);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Polls fn until it returns a truthy value or ms pass; returns the value. */
export async function waitFor(what, ms, fn, every = 200) {
	const end = Date.now() + ms;
	let last;
	for (;;) {
		try {
			const v = await fn();
			if (v)
				return v;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end)
			fail(`timed out after ${ms / 1000} s waiting for ${what}` +
			    (last ? ` (last error: ${last.message})` : ''));
		await sleep(every);
	}
}

/* Starts a program and resolves with the first match of re on stream. */
export function start(name, argv, stream, re, ms = 10000) {
	const child = spawn(argv[0], argv.slice(1), {
		stdio: ['ignore', 'pipe', 'pipe']
	});
	children.push({ name, child });
	let out = '';
	let err = '';
	child.stdout.on('data', (d) => { out += d; });
	child.stderr.on('data', (d) => { err += d; });
	child.output = () => out + err;
	return new Promise((resolvePort, reject) => {
		const timer = setTimeout(() => reject(new TestFailure(
		    `${name} did not report its port within ${ms / 1000} s:\n` +
		    out + err)), ms);
		const check = () => {
			const m = (stream === 'stdout' ? out : err).match(re);
			if (m) {
				clearTimeout(timer);
				resolvePort({ child, port: Number(m[1]) });
			}
		};
		child[stream].on('data', check);
		child.on('error', (e) => {
			clearTimeout(timer);
			reject(new TestFailure(`${name}: ${e.message}`));
		});
		child.on('exit', (code, sig) => {
			clearTimeout(timer);
			reject(new TestFailure(`${name} exited early (${code ?? sig}):\n` +
			    out + err));
		});
	});
}

/* Stops a child with SIGTERM, then SIGKILL after 3 s; resolves on exit. */
export function stop(child) {
	if (child.exitCode !== null || child.signalCode !== null)
		return Promise.resolve();
	return new Promise((r) => {
		const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
		child.once('exit', () => {
			clearTimeout(timer);
			r();
		});
		child.kill('SIGTERM');
	});
}
