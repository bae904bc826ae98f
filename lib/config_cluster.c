/*
 * Reads the [cluster] section: where Redis is (redis_check_target's
 * rules: an IP or a unix socket, since hiredis resolves names
 * blocking), this replica's name, the prefix that makes one cluster and
 * the optional AUTH password, a secret read like every *_file.  Once the
 * whole file is read the defaults are filled in: the name from the host
 * name and listen's port, which may come after the section.  Also
 * answers whether two configs have the same [cluster], which a reload
 * may not change.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_private.h"
#include "redis.h"
#include "secret.h"

#define CONFIG_CLUSTER_PREFIX "gatherd"
/* The bytes a replica name or a prefix may hold. */
#define CONFIG_CLUSTER_CHARS                                                   \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-"

/* Returns 1 if text is 1 to 64 of [A-Za-z0-9_.:-], else 0. */
static int
config_cluster_valid(const char *text)
{
	size_t n = strlen(text);

	return n >= 1 && n <= CONFIG_NAME_MAX &&
	    strspn(text, CONFIG_CLUSTER_CHARS) == n;
}

/* Starts the [cluster] section at cp_header_line; 0, or -1 with the
 * error recorded (a second [cluster]). */
int
config_cluster_begin(struct config_parse *cp)
{
	struct config_cluster *cc = &cp->cp_cf->cf_cluster;

	if (cc->cc_enabled) {
		config_error(cp, cp->cp_header_line,
		    "duplicate section [cluster] (the first is at line %d)",
		    cc->cc_line);
		return -1;
	}
	cc->cc_enabled = 1;
	cc->cc_line = cp->cp_header_line;
	cp->cp_in_cluster = 1;
	return 0;
}

/* Handles one key of the [cluster] section: the password as every
 * secret file, the others checked and copied; 1 or 0 as inih wants. */
int
config_cluster_key(struct config_parse *cp, const char *name, const char *value)
{
	struct config_cluster *cc = &cp->cp_cf->cf_cluster;
	const struct config_entry *e;
	const char *why = NULL;
	char **field;
	size_t row;

	if ((e = config_table_find(CONFIG_CLUSTER, name)) == NULL) {
		config_error(cp, 0, "unknown key \"%s\" in [cluster]", name);
		return 0;
	}
	row = (size_t)(e - config_table);
	if (cp->cp_cluster_seen[row]) {
		config_error(cp, 0, "duplicate key \"%s\"", name);
		return 0;
	}
	cp->cp_cluster_seen[row] = 1;
	/* Every [cluster] field is a string. */
	field = (char **)(void *)((char *)cc + e->ce_offset);
	if (e->ce_type == CONFIG_SECRET)
		return config_set_secret(cp, field, value);
	if (e->ce_type == CONFIG_REDIS_TARGET) {
		if (redis_check_target(value, &why) == -1) {
			config_error(
			    cp, 0, "bad redis target \"%s\": %s", value, why);
			return 0;
		}
	} else if (!config_cluster_valid(value)) {
		config_bad_value(cp, e, value);
		return 0;
	}
	return config_set_string(field, value) == 0;
}

/* Writes the default replica name "host:port" into out; 0, or -1 if it
 * is not 1 to 64 of [A-Za-z0-9_.:-] or does not fit in outlen. */
int
config_cluster_default_name(
    const char *host, unsigned port, char *out, size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "%s:%u", host, port);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return config_cluster_valid(out) ? 0 : -1;
}

/* Sets cc's name to "hostname:port" of this machine and listen; 0, or
 * -1 with the error recorded. */
static int
config_cluster_name(struct config_parse *cp, struct config_cluster *cc)
{
	char host[HOST_NAME_MAX + 1], name[HOST_NAME_MAX + 16];
	uint16_t port = cp->cp_cf->cf_listen_port;

	/* Port 0 is the kernel's pick, known only once listening: every
	 * replica on a host would have the same name. */
	if (port == 0) {
		config_error(cp, cc->cc_line,
		    "[cluster] needs name = when listen's port is 0 (the "
		    "default name is hostname:port)");
		return -1;
	}
	if (gethostname(host, sizeof host) == -1) {
		config_error(cp, cc->cc_line,
		    "[cluster] needs name = (no host name for the default: "
		    "%s)",
		    strerror(errno));
		return -1;
	}
	host[sizeof host - 1] = '\0';
	if (config_cluster_default_name(host, port, name, sizeof name) == -1) {
		config_error(cp, cc->cc_line,
		    "[cluster] needs name = (the default \"%.*s:%u\" is not "
		    "1 to 64 of A-Z a-z 0-9 _ . : -)",
		    HOST_NAME_MAX, host, (unsigned)port);
		return -1;
	}
	return config_set_string(&cc->cc_name, name);
}

/* Checks [cluster] once the whole file is read (redis given) and fills
 * in the default name and prefix; 0 or -1. */
int
config_check_cluster(struct config_parse *cp)
{
	struct config_cluster *cc = &cp->cp_cf->cf_cluster;

	if (!cc->cc_enabled)
		return 0;
	if (cc->cc_redis == NULL) {
		config_error(cp, cc->cc_line,
		    "[cluster] needs redis = unix:/path or IP:port");
		return -1;
	}
	if (cc->cc_name == NULL && config_cluster_name(cp, cc) == -1)
		return -1;
	if (cc->cc_prefix == NULL &&
	    config_set_string(&cc->cc_prefix, CONFIG_CLUSTER_PREFIX) == -1)
		return -1;
	return 0;
}

/* Frees [cluster]'s fields, wiping the password. */
void
config_cluster_free(struct config_cluster *cc)
{
	free(cc->cc_redis);
	free(cc->cc_name);
	free(cc->cc_prefix);
	secret_free(cc->cc_password);
}

/* Returns 1 if a and b are both NULL or both the same text. */
static int
config_cluster_same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Returns 1 if a and b have the same [cluster] settings (the password
 * too), else 0. */
int
config_cluster_same(const struct config *a, const struct config *b)
{
	const struct config_cluster *x = &a->cf_cluster, *y = &b->cf_cluster;

	/* cc_redis is set exactly when the section is there. */
	return config_cluster_same_text(x->cc_redis, y->cc_redis) &&
	    config_cluster_same_text(x->cc_name, y->cc_name) &&
	    config_cluster_same_text(x->cc_prefix, y->cc_prefix) &&
	    config_cluster_same_text(x->cc_password, y->cc_password);
}
