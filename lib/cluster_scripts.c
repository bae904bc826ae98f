/*
 * The Lua scripts of cluster mode, as data.  A source called N under
 * prefix P has the hash P:s:N (fence, slot, nb: not before, ver, doc,
 * st: the stats of the history points, aa: the attempt time of doc), the
 * claim P:c:N (a string "replica fence" that expires), and the history
 * list P:h:N; the cluster has the stream P:stream (fields s: source,
 * v: version, q: sequence, n: ms to the next claim, d: doc), its counter
 * P:seq, the epoch P:epoch (a random word: a new one means Redis lost
 * everything) and the sorted set P:replicas (name -> last seen, ms).
 */
#include "cluster_scripts.h"

/* The ms of Redis's clock, first thing in every script that needs it. */
#define NOW                                                                    \
	"local t = redis.call('TIME')\n"                                       \
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / "     \
	"1000)\n"

static const char *const cluster_scripts[CLUSTER_SCRIPT_COUNT] = {
    /*
     * CLAIM  KEYS: hash, claim  ARGV: interval, phase, grace, lifetime,
     * replica.  {1, fence} or {0, ms to wait}.  The slot is the grid
     * point (phase + k * interval) at or before now + grace.  A slot is
     * polled once: claimable while no claim is held and it is later than
     * the last one claimed, or that one's claim ran out before its commit
     * (a replica died or froze); a failure's retry (nb) when it is due.
     */
    [CLUSTER_SCRIPT_CLAIM] =
        NOW "local held = redis.call('PTTL', KEYS[2])\n"
            "if held > 0 then return {0, held} end\n"
            "local iv, ph, gr = tonumber(ARGV[1]), tonumber(ARGV[2]), "
            "tonumber(ARGV[3])\n"
            "local h = redis.call('HMGET', KEYS[1], 'slot', 'nb')\n"
            "local slot = math.floor((now + gr - ph) / iv) * iv + ph\n"
            "local last = tonumber(h[1]) or -1\n"
            "if slot < last then return {0, last - now} end\n"
            "local nb = tonumber(h[2]) or 0\n"
            "if now + gr < nb then return {0, nb - now} end\n"
            "local f = redis.call('HINCRBY', KEYS[1], 'fence', 1)\n"
            "redis.call('HSET', KEYS[1], 'slot', math.max(slot, last))\n"
            "redis.call('SET', KEYS[2], ARGV[5] .. ' ' .. f, 'PX', ARGV[4])\n"
            "return {1, f}\n",
    /*
     * COMMIT  KEYS: hash, claim, history, stream, seq  ARGV: fence, doc,
     * point ('' none), history length, retry ms (-1 after a success),
     * interval, replica, source, stream length, stats, attempt time,
     * lifetime, phase, lease (1 or 0).  {1, version, ms to the next poll,
     * its fence or 0} or {0} if fenced out.  With lease, the next poll
     * (the next slot, or the retry) is the committing replica's: claimed
     * for it until then plus lifetime.  Without, the claim is let go.
     */
    [CLUSTER_SCRIPT_COMMIT] =
        "local h = redis.call('HMGET', KEYS[1], 'fence', 'slot')\n"
        "if tonumber(h[1]) ~= tonumber(ARGV[1]) then return {0} end\n" NOW
        "local d, iv, wait, nb = tonumber(ARGV[5]), tonumber(ARGV[6]), 0, 0\n"
        "local slot = tonumber(h[2]) or -1\n"
        "local polled = slot\n"
        "if d >= 0 then\n"
        "  wait, nb, slot, polled = d, now + d, -1, -1\n"
        "else\n"
        "  if slot < 0 then\n"
        "    local ph = tonumber(ARGV[13])\n"
        "    slot = math.floor((now - ph) / iv) * iv + ph\n"
        "    polled = slot\n"
        "  end\n"
        "  slot = slot + iv\n"
        "  while slot <= now do slot = slot + iv end\n"
        "  wait = slot - now\n"
        "end\n"
        "local f = tonumber(h[1])\n"
        "local v = redis.call('HINCRBY', KEYS[1], 'ver', 1)\n"
        "if ARGV[14] == '1' then\n"
        "  f = f + 1\n"
        "  redis.call('SET', KEYS[2], ARGV[7] .. ' ' .. f, 'PX', "
        "wait + tonumber(ARGV[12]))\n"
        "else\n"
        "  slot = polled\n"
        "  if redis.call('GET', KEYS[2]) == ARGV[7] .. ' ' .. ARGV[1] then\n"
        "    redis.call('DEL', KEYS[2])\n"
        "  end\n"
        "end\n"
        "redis.call('HSET', KEYS[1], 'fence', f, 'slot', slot, 'nb', nb, "
        "'doc', ARGV[2], 'st', ARGV[10], 'aa', ARGV[11])\n"
        "if ARGV[3] ~= '' then\n"
        "  redis.call('RPUSH', KEYS[3], ARGV[3])\n"
        "  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)\n"
        "end\n"
        "local q = redis.call('INCR', KEYS[5])\n"
        "redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*', 's', "
        "ARGV[8], "
        "'v', v, 'q', q, 'n', wait, 'd', ARGV[2])\n"
        "if ARGV[14] ~= '1' then f = 0 end\n"
        "return {1, v, wait, f}\n",
    /*
     * PUBLISH  KEYS: hash, history, stream, seq  ARGV: doc, attempt time,
     * source, stream length, stats, history length, points...  Stores doc
     * unless Redis holds a later attempt; the points only where Redis has
     * no history.  The version, or 0.
     */
    [CLUSTER_SCRIPT_PUBLISH] =
        "local aa = tonumber(redis.call('HGET', KEYS[1], 'aa'))\n"
        "if aa and aa >= tonumber(ARGV[2]) then return 0 end\n"
        "local v = redis.call('HINCRBY', KEYS[1], 'ver', 1)\n"
        "redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'aa', ARGV[2], 'st', "
        "ARGV[5])\n"
        "if #ARGV > 6 and redis.call('EXISTS', KEYS[2]) == 0 then\n"
        "  for i = 7, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end\n"
        "  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[6]), -1)\n"
        "end\n"
        "local q = redis.call('INCR', KEYS[4])\n"
        "redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 's', "
        "ARGV[3], "
        "'v', v, 'q', q, 'n', -1, 'd', ARGV[1])\n"
        "return v\n",
    /*
     * HEARTBEAT  KEYS: replicas, epoch  ARGV: replica, a new epoch, window
     * ms.  {now, epoch, name, seen, name, seen, ...} of the replicas seen
     * within the window; those gone for ten windows are dropped.
     */
    [CLUSTER_SCRIPT_HEARTBEAT] =
        NOW "local w = tonumber(ARGV[3])\n"
            "redis.call('ZADD', KEYS[1], now, ARGV[1])\n"
            "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 10 * w)\n"
            "redis.call('SET', KEYS[2], ARGV[2], 'NX')\n"
            "local r = {now, redis.call('GET', KEYS[2])}\n"
            "local z = redis.call('ZRANGEBYSCORE', KEYS[1], now - w, '+inf', "
            "'WITHSCORES')\n"
            "for i = 1, #z do r[#r + 1] = z[i] end\n"
            "return r\n",
    /*
     * HEAD  KEYS: seq, stream.  {sequence, id} of the stream's last entry
     * ({0, '0-0'} if none): a snapshot reads the stream on from there.
     */
    [CLUSTER_SCRIPT_HEAD] =
        "local r = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)\n"
        "local id = '0-0'\n"
        "if r[1] then id = r[1][1] end\n"
        "return {tonumber(redis.call('GET', KEYS[1]) or '0'), id}\n",
    /*
     * SNAPSHOT  KEYS: hash, history.  {version, doc, stats, {points}};
     * false in place of what is missing.
     */
    [CLUSTER_SCRIPT_SNAPSHOT] =
        "local h = redis.call('HMGET', KEYS[1], 'ver', 'doc', 'st')\n"
        "return {h[1], h[2], h[3], redis.call('LRANGE', KEYS[2], 0, -1)}\n",
};

/* Returns the text of script s. */
const char *
cluster_script_text(enum cluster_script s)
{
	return cluster_scripts[s];
}
