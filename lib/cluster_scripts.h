/*
 * The Lua scripts of cluster mode, run by Redis (EVALSHA, EVAL until
 * the first SCRIPT LOAD answered): each reads Redis's clock with TIME and
 * changes a source's keys in one step, so two replicas never both win a
 * claim and a late commit never lands.  Keys and arguments are listed
 * above each script; cluster.c builds them.
 */
#ifndef GATHERD_CLUSTER_SCRIPTS_H
#define GATHERD_CLUSTER_SCRIPTS_H

enum cluster_script {
	CLUSTER_SCRIPT_CLAIM,
	CLUSTER_SCRIPT_COMMIT,
	CLUSTER_SCRIPT_PUBLISH,
	CLUSTER_SCRIPT_HEARTBEAT,
	CLUSTER_SCRIPT_HEAD,
	CLUSTER_SCRIPT_SNAPSHOT,
	CLUSTER_SCRIPT_COUNT,
};

/* Returns the text of script s. */
const char *cluster_script_text(enum cluster_script s);

#endif
