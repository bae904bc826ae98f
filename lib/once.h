/*
 * The --once mode: poll every source one time, concurrently within the
 * caps, then write the stats document.  No HTTP server is started.
 */
#ifndef GATHERD_ONCE_H
#define GATHERD_ONCE_H

#include <stdio.h>

#include "config.h"

/* Polls cf's sources once and writes /api/v1/stats to out; returns 0 if
 * every source succeeded, 1 if any failed, -1 on internal error. */
int once_run(const struct config *cf, FILE *out);

#endif
