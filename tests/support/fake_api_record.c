/*
 * The record every analytics API fake keeps: requests counted and the
 * last violation of the API's contract, under the fake's own lock, so
 * that a test asks "did gatherd keep the contract?" the same way of
 * every fake.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_api_record.h"

/* Initialises r; 0 or -1. */
int
fu_api_record_init(struct fu_api_record *r)
{
	memset(r, 0, sizeof(*r));
	return pthread_mutex_init(&r->ar_lock, NULL) == 0 ? 0 : -1;
}

/* Releases r's lock and violation. */
void
fu_api_record_release(struct fu_api_record *r)
{
	pthread_mutex_destroy(&r->ar_lock);
	free(r->ar_violation);
	r->ar_violation = NULL;
}

/* Counts a request. */
void
fu_api_record_request(struct fu_api_record *r)
{
	pthread_mutex_lock(&r->ar_lock);
	r->ar_requests++;
	pthread_mutex_unlock(&r->ar_lock);
}

/* Records a contract violation made from fmt. */
void
fu_api_record_violation(struct fu_api_record *r, const char *fmt, ...)
{
	char buf[512], *copy;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if ((copy = strdup(buf)) == NULL)
		abort();
	pthread_mutex_lock(&r->ar_lock);
	free(r->ar_violation);
	r->ar_violation = copy;
	pthread_mutex_unlock(&r->ar_lock);
}

/* Returns a copy of the last violation, or NULL. */
char *
fu_api_record_violation_copy(struct fu_api_record *r)
{
	char *copy = NULL;

	pthread_mutex_lock(&r->ar_lock);
	if (r->ar_violation != NULL && (copy = strdup(r->ar_violation)) == NULL)
		abort();
	pthread_mutex_unlock(&r->ar_lock);
	return copy;
}

/* Returns the request count. */
unsigned long
fu_api_record_requests(struct fu_api_record *r)
{
	unsigned long n;

	pthread_mutex_lock(&r->ar_lock);
	n = r->ar_requests;
	pthread_mutex_unlock(&r->ar_lock);
	return n;
}
