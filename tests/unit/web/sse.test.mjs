/*
 * web/js/sse.mjs: the Server-Sent Events parser the fetch() stream uses,
 * fed in chunks that split lines and events anywhere.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sseParser } from '../../../web/js/sse.mjs';

/* Feeds chunks to a new parser; returns the [type, data] pairs. */
function parse(...chunks) {
	const got = [];
	const feed = sseParser((type, data) => got.push([type, data]));
	for (const c of chunks)
		feed(c);
	return got;
}

test('one event with a type and data', () => {
	assert.deepEqual(parse('event: stats\ndata: {"a":1}\n\n'),
	    [['stats', '{"a":1}']]);
});

test('no type is "message"; data lines join with newlines', () => {
	assert.deepEqual(parse('data: one\ndata: two\n\n'),
	    [['message', 'one\ntwo']]);
});

test('CRLF line ends', () => {
	assert.deepEqual(parse('event: stats\r\ndata: x\r\n\r\n'),
	    [['stats', 'x']]);
});

test('chunks split anywhere, including inside CRLF', () => {
	const text = 'event: stats\r\ndata: {"n":1}\r\n\r\nevent: stats\r\n' +
	    'data: {"n":2}\r\n\r\n';
	for (let i = 0; i <= text.length; i++)
		assert.deepEqual(parse(text.slice(0, i), text.slice(i)),
		    [['stats', '{"n":1}'], ['stats', '{"n":2}']], `split ${i}`);
	assert.deepEqual(parse(...text.split('')),
	    [['stats', '{"n":1}'], ['stats', '{"n":2}']]);
});

test('an event is sent only at its blank line', () => {
	assert.deepEqual(parse('event: stats\ndata: x\n'), []);
	assert.deepEqual(parse('event: stats\ndata: x'), []);
});

test('comments, ids, retry and unknown fields are skipped', () => {
	assert.deepEqual(parse(': keep-alive\n\nid: 7\nretry: 100\nfoo: bar\n' +
	    'event: stats\n: note\ndata: y\n\n'), [['stats', 'y']]);
});

test('an event with no data is dropped; its type does not carry over', () => {
	assert.deepEqual(parse('event: ping\n\ndata: z\n\n'),
	    [['message', 'z']]);
});

test('only one space after the colon is stripped; no colon: empty value',
    () => {
	assert.deepEqual(parse('data:  two spaces\ndata:none\ndata\n\n'),
	    [['message', ' two spaces\nnone\n']]);
});
