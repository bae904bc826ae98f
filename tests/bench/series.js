/*
 * The bench's realistic upstream (nginx's njs module, js_content): per
 * source (?name=), a counter growing by varying integer steps at 0.5 to
 * 5 a second and a gauge with three decimals, a slow wave plus a fast
 * ripple, that moves on every poll.  Computed from the name and the
 * clock alone: no state, the same answer for the same source and time.
 * The same series as tests/bench/tsbytes.c's counter and gauge3 kinds.
 */

/* Returns a 32-bit hash of the string s (FNV-1a). */
function hash(s)
{
	var h = 0x811c9dc5;

	for (var i = 0; i < s.length; i++) {
		h ^= s.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return h >>> 0;
}

/* Returns a uniform number in [0, 1) drawn from seed and n. */
function unit(seed, n)
{
	var h = Math.imul(seed ^ Math.imul(n | 0, 0x9e3779b1), 0x85ebca6b);

	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return (h >>> 0) / 4294967296;
}

/* Answers /series?name=NAME: {"data":{"total":C,"active":G}}. */
function stats(r)
{
	var name = r.args.name || "", seed = hash(name);
	var ms = Date.now(), sec = Math.floor(ms / 1000), t = ms / 1000;
	/* 0.5 to 5 a second; steps vary by up to 90 % of the rate around
	 * it (never negative: the jitter is less than one second's rate). */
	var rate = 0.5 + 4.5 * unit(seed, -1);
	var base = Math.floor(1e6 * unit(seed, -2));
	var since = sec - 1795000000;
	var total = base +
	    Math.floor(rate * since + 0.9 * rate * unit(seed, sec));
	var mean = 20 + 80 * unit(seed, -3);
	var active = Math.round(1000 *
	    (mean + 0.2 * mean * Math.sin(t / 900 + seed) +
	        0.5 * Math.sin(t / 1.3) + 0.05 * unit(seed, ms))) / 1000;

	r.headersOut["Content-Type"] = "application/json";
	r.return(200, JSON.stringify(
	    {data: {total: total, active: active}, source: "njs"}));
}

/* Answers /slow?name=NAME as /series does, a second late: a timer on
 * nginx's event loop, no thread a request (the fan-out's upstream). */
function slow(r)
{
	setTimeout(function () { stats(r); }, 1000);
}

export default {stats, slow};
