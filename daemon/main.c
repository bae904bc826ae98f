/*
 * gatherd's main: options, signals, start-up and tear-down in reverse
 * order.  Everything runs on one libevent loop in this thread: the
 * poller, the HTTP API and the signal handlers.  All logic lives in
 * libgatherd; this file only wires it together.
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "api.h"
#include "cache.h"
#include "cluster.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "once.h"
#include "poller.h"
#include "store.h"

#ifndef GATHERD_CONF
#define GATHERD_CONF "/etc/gatherd/gatherd.conf"
#endif

/* How long a replica waits for Redis's snapshot before it polls alone. */
#define MAIN_CLUSTER_READY_MS 5000

/* How often the STATUS= summary is recomputed (sent only if it changed). */
#define MAIN_STATUS_MS 1000

/* What the running daemon is made of. */
struct gatherd {
	struct event_base *g_base;
	struct config *g_cf;
	struct cache *g_cache;
	struct store *g_store;
	struct poller *g_poller;
	struct cluster *g_cluster; /* NULL without [cluster] */
	struct api *g_api;
	struct event *g_sigterm;
	struct event *g_sigint;
	struct event *g_sighup;
	struct event *g_watchdog; /* WATCHDOG=1, if systemd wants it */
	struct event *g_status; /* STATUS= refresh */
	int g_log_flag; /* -v or -q given: the config's log_level is ignored */
	enum log_level g_log_level; /* the level -v or -q asked for */
};

/* Prints usage to f. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: gatherd [-c FILE] [-t] [--once] [-v | -q] [-V] [-h]\n"
	    "  -c, --config FILE     config file (default %s)\n"
	    "  -t, --check-config    check the config and exit\n"
	    "      --once            poll every source once, print the stats "
	    "and exit\n"
	    "  -v, --verbose         log debugging detail\n"
	    "  -q, --quiet           log only warnings and errors\n"
	    "  -V, --version         print the version and exit\n"
	    "  -h, --help            print this help and exit\n",
	    GATHERD_CONF);
}

/* SIGTERM and SIGINT: stop the loop; tear-down follows in main. */
static void
main_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct gatherd *g = arg;

	log_info("signal %d: stopping", (int)sig);
	notify_stopping();
	event_base_loopbreak(g->g_base);
}

/* Sets the log level: -v or -q if given, else cf's log_level. */
static void
main_set_log_level(const struct gatherd *g, const struct config *cf)
{
	log_set_level(g->g_log_flag ? g->g_log_level : cf->cf_log_level);
}

/* Writes window ms as the config would say it ("1h", "5m", "15s"). */
static void
main_format_window(uint64_t ms, char *buf, size_t len)
{
	if (ms % 3600000 == 0)
		snprintf(buf, len, "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

/*
 * Warns of each budget that the intervals of its sources overdraw (the
 * sum of window / interval above its requests): polls will wait for it.
 * To f as "warning: ..." lines (-t, whatever the log level), or logged.
 */
static void
main_check_budgets(const struct config *cf, FILE *f)
{
	const struct config_budget *b;
	char window[32], msg[512];
	double need;
	size_t i, n;

	for (i = 0; i < cf->cf_nbudgets; i++) {
		b = &cf->cf_budgets[i];
		need = config_budget_need(cf, b, &n);
		if (need <= (double)b->cb_requests)
			continue;
		main_format_window(b->cb_window_ms, window, sizeof window);
		snprintf(msg, sizeof msg,
		    "%s:%d: budget %s allows %u requests per %s, but the "
		    "intervals of its %zu sources need %.*f; their polls "
		    "will wait for it",
		    cf->cf_path, b->cb_line, b->cb_name, b->cb_requests, window,
		    n, need == (double)(uint64_t)need ? 0 : 1, need);
		if (f != NULL)
			fprintf(f, "warning: %s\n", msg);
		else
			log_warnx("%s", msg);
	}
}

/* Returns how many sources of cf old has too (source_same_loaded). */
static size_t
main_count_kept(const struct config *old, const struct config *cf)
{
	const struct config_source *o;
	size_t i, kept = 0;

	for (i = 0; i < cf->cf_nsources; i++) {
		o = config_find_source(old, cf->cf_sources[i].src_name);
		if (o != NULL && source_same_loaded(o, &cf->cf_sources[i]))
			kept++;
	}
	return kept;
}

/*
 * Reloads the config file.  The new config is parsed completely before
 * anything changes; if it is bad the old one stays in force.  Otherwise
 * it is applied as a diff: sources with the same name and URL keep their
 * values, history, backoff and ETag, and no HTTP connection is dropped.
 */
static void
main_reload(struct gatherd *g)
{
	char err[CONFIG_ERR_LEN];
	struct config *cf;
	struct store *st;
	struct cache *c;
	size_t kept;

	log_info("reload: reading %s", g->g_cf->cf_path);
	if ((cf = config_load(g->g_cf->cf_path, err, sizeof err)) == NULL) {
		log_warnx("reload: %s; keeping the running config", err);
		api_reload_result(g->g_api, err);
		return;
	}
	if (!config_cluster_same(g->g_cf, cf)) {
		snprintf(err, sizeof err,
		    "%s: [cluster] changed: restart gatherd to apply it",
		    cf->cf_path);
		log_warnx("reload: %s; keeping the running config", err);
		api_reload_result(g->g_api, err);
		config_free(cf);
		return;
	}
	main_check_budgets(cf, NULL);
	if ((c = cache_new(cf)) == NULL) {
		log_warnx("reload failed: out of memory");
		api_reload_result(g->g_api, "out of memory");
		config_free(cf);
		return;
	}
	kept = main_count_kept(g->g_cf, cf);
	cache_adopt(c, g->g_cache);
	/* A state_dir that cannot be written refuses the reload. */
	if ((st = store_new(g->g_base, cf->cf_state_dir, c, 0)) == NULL) {
		api_reload_result(g->g_api, "state_dir is not writable");
		cache_free(c);
		config_free(cf);
		return;
	}
	if (poller_reload(g->g_poller, cf, c) == -1 ||
	    api_reload(g->g_api, cf, c) == -1) {
		/* Only allocation fails here; nothing was switched yet. */
		log_warnx("reload failed: out of memory");
		api_reload_result(g->g_api, "out of memory");
		store_free(st);
		cache_free(c);
		config_free(cf);
		return;
	}
	store_free(g->g_store);
	g->g_store = st;
	store_changed(st);
	log_info("reload: %zu sources (%zu kept, %zu new, %zu removed)",
	    cf->cf_nsources, kept, cf->cf_nsources - kept,
	    g->g_cf->cf_nsources - kept);
	cache_free(g->g_cache);
	config_free(g->g_cf);
	g->g_cache = c;
	g->g_cf = cf;
	main_set_log_level(g, cf);
	api_reload_result(g->g_api, NULL);
}

/*
 * SIGHUP: systemd's reload protocol (Type=notify-reload too) wants
 * RELOADING=1 when a reload starts and READY=1 when it ends, whether the
 * new config was applied or refused.
 */
static void
main_reload_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	notify_reloading();
	main_reload(arg);
	notify_ready();
}

/* Timer: tells systemd's watchdog that the loop is turning. */
static void
main_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	notify_watchdog();
}

/* Timer: sends the STATUS= summary of the sources if it changed. */
static void
main_status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gatherd *g = arg;

	notify_update_status(g->g_cache);
}

/* Starts a persistent timer every usec on the loop; the event or NULL. */
static struct event *
main_timer_new(struct gatherd *g, uint64_t usec, event_callback_fn cb)
{
	struct timeval tv;
	struct event *ev;

	if ((ev = event_new(g->g_base, -1, EV_PERSIST, cb, g)) == NULL)
		return NULL;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	if (event_add(ev, &tv) == -1) {
		event_free(ev);
		return NULL;
	}
	return ev;
}

/* Starts the STATUS= refresh and, if enabled, the watchdog; 0 or -1. */
static int
main_start_notify(struct gatherd *g)
{
	uint64_t usec = notify_watchdog_usec();

	g->g_status = main_timer_new(g, MAIN_STATUS_MS * 1000, main_status_cb);
	if (g->g_status == NULL)
		goto fail;
	if (usec == 0)
		return 0;
	/* Twice per timeout, as sd_watchdog_enabled(3) advises. */
	usec = usec / 2 < 1000 ? 1000 : usec / 2;
	if ((g->g_watchdog = main_timer_new(g, usec, main_watchdog_cb)) == NULL)
		goto fail;
	log_debug("watchdog: keep-alive every %llu ms",
	    (unsigned long long)usec / 1000);
	return 0;
fail:
	log_errx("cannot start the systemd notification timers");
	return -1;
}

/* Lets a daemon with many sources keep many connections open. */
static void
main_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE");
	}
}

/*
 * Big buffers (the state text, the /metrics text, documents of many
 * sources) come and go every few seconds.  A fixed mmap threshold
 * gives each back to the kernel when freed; glibc's default raises the
 * threshold after the first such free, and later ones then stay in the
 * heap, which grows and does not shrink.
 */
static void
main_tune_malloc(void)
{
	/* Sanitizers bring their own allocator and refuse: no matter. */
	(void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

/*
 * Joins the cluster of [cluster]: polling starts once the first snapshot
 * of Redis is in, so every value is served before the first poll, or
 * after MAIN_CLUSTER_READY_MS alone if Redis does not answer.
 */
static int
main_start_cluster(struct gatherd *g)
{
	const struct config_cluster *cc = &g->g_cf->cf_cluster;
	struct cluster_params cp;

	memset(&cp, 0, sizeof cp);
	cp.cp_target = cc->cc_redis;
	cp.cp_password = cc->cc_password;
	cp.cp_name = cc->cc_name;
	cp.cp_prefix = cc->cc_prefix;
	cp.cp_ready_ms = MAIN_CLUSTER_READY_MS;
	cp.cp_apply = poller_cluster_apply_cb;
	cp.cp_publish = poller_cluster_publish_cb;
	cp.cp_ready = poller_cluster_ready_cb;
	cp.cp_arg = g->g_poller;
	if ((g->g_cluster = cluster_new(g->g_base, &cp)) == NULL ||
	    poller_set_cluster(g->g_poller, g->g_cluster) == -1 ||
	    api_set_cluster(g->g_api, g->g_cluster) == -1) {
		log_errx("cannot set up cluster mode");
		return -1;
	}
	log_info("cluster: replica %s, prefix %s, redis %s", cc->cc_name,
	    cc->cc_prefix, cc->cc_redis);
	return 0;
}

/* Builds the daemon from g->g_cf; 0 or -1 (logged). */
static int
main_start(struct gatherd *g)
{
	if ((g->g_base = event_base_new()) == NULL) {
		log_errx("cannot create the event loop");
		return -1;
	}
	g->g_sigterm = evsignal_new(g->g_base, SIGTERM, main_stop_cb, g);
	g->g_sigint = evsignal_new(g->g_base, SIGINT, main_stop_cb, g);
	g->g_sighup = evsignal_new(g->g_base, SIGHUP, main_reload_cb, g);
	if (g->g_sigterm == NULL || g->g_sigint == NULL ||
	    g->g_sighup == NULL || evsignal_add(g->g_sigterm, NULL) == -1 ||
	    evsignal_add(g->g_sigint, NULL) == -1 ||
	    evsignal_add(g->g_sighup, NULL) == -1) {
		log_errx("cannot install signal handlers");
		return -1;
	}
	if ((g->g_cache = cache_new(g->g_cf)) == NULL) {
		log_errx("cannot set up the cache");
		return -1;
	}
	/* The last state first, so the first polls send its validators. */
	if ((g->g_store = store_new(
	         g->g_base, g->g_cf->cf_state_dir, g->g_cache, 0)) == NULL ||
	    store_restore(g->g_store) == -1)
		return -1;
	/* The restore's parse tree is freed: give its pages back (a day of
	 * rollups at 1,000 sources: 105 MB resident after it, 50 MB). */
	(void)malloc_trim(0);
	if ((g->g_poller = poller_new(g->g_base, g->g_cf, g->g_cache)) ==
	    NULL) {
		log_errx("cannot set up polling");
		return -1;
	}
	if ((g->g_api = api_new(g->g_base, g->g_cf, g->g_cache)) == NULL ||
	    main_start_notify(g) == -1)
		return -1;
	if (g->g_cf->cf_cluster.cc_enabled)
		return main_start_cluster(g);
	return poller_start(g->g_poller, 0);
}

/* Tears down what main_start built, in reverse order. */
static void
main_stop(struct gatherd *g)
{
	if (g->g_status != NULL)
		event_free(g->g_status);
	if (g->g_watchdog != NULL)
		event_free(g->g_watchdog);
	api_free(g->g_api);
	poller_free(g->g_poller);
	cluster_free(g->g_cluster);
	store_free(g->g_store);
	cache_free(g->g_cache);
	if (g->g_sighup != NULL)
		event_free(g->g_sighup);
	if (g->g_sigint != NULL)
		event_free(g->g_sigint);
	if (g->g_sigterm != NULL)
		event_free(g->g_sigterm);
	if (g->g_base != NULL)
		event_base_free(g->g_base);
	config_free(g->g_cf);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", no_argument, NULL, 't'},
	    {"once", no_argument, NULL, 'O'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = GATHERD_CONF;
	char err[CONFIG_ERR_LEN];
	struct gatherd g;
	int ch, check = 0, once = 0, rc = 1;

	memset(&g, 0, sizeof g);
	while (
	    (ch = getopt_long(argc, argv, "c:tvqVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'O':
			once = 1;
			break;
		case 'v':
		case 'q':
			g.g_log_flag = 1;
			g.g_log_level =
			    ch == 'v' ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN;
			break;
		case 'V':
			printf("gatherd %s\n", GATHERD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if ((g.g_cf = config_load(path, err, sizeof err)) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	main_set_log_level(&g, g.g_cf);
	if (check) {
		main_check_budgets(g.g_cf, stderr);
		fprintf(stderr, "%s: ok\n", path);
		config_free(g.g_cf);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "gatherd: cannot initialise libcurl\n");
		config_free(g.g_cf);
		return 1;
	}
	if (once) {
		rc = once_run(g.g_cf, stdout) == 0 ? 0 : 1;
		config_free(g.g_cf);
		curl_global_cleanup();
		return rc;
	}
	main_check_budgets(g.g_cf, NULL);
	main_raise_nofile();
	main_tune_malloc();
	if (main_start(&g) == 0) {
		log_info("gatherd %s started with %zu sources", GATHERD_VERSION,
		    g.g_cf->cf_nsources);
		notify_ready();
		notify_update_status(g.g_cache);
		if (event_base_dispatch(g.g_base) == -1)
			log_errx("event loop failed");
		else
			rc = 0;
		/* The last word on disk before going. */
		if (store_flush(g.g_store) == -1)
			rc = 1;
	}
	main_stop(&g);
	curl_global_cleanup();
	return rc;
}
