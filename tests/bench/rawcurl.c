/*
 * The floor gatherd is measured against: plain libcurl multi doing the
 * same GETs (one reused easy handle per URL, keep-alive, a body buffer,
 * nothing parsed or stored), each URL once a second, spread over the
 * second.  Prints good polls per second and CPU ms per 1,000 polls.
 * Usage: rawcurl URL N SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>

/* One URL's handle and body. */
struct raw_source {
	CURL *rs_easy;
	int rs_busy;
	char rs_body[4096];
	size_t rs_len;
};

/* Returns the monotonic clock in ms. */
static long long
raw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Returns the process's user+system CPU time in ms. */
static long long
raw_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* curl's write callback: keeps what fits of the body. */
static size_t
raw_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct raw_source *rs = arg;
	size_t n = size * nmemb;

	if (n > sizeof rs->rs_body - rs->rs_len)
		n = sizeof rs->rs_body - rs->rs_len;
	memcpy(rs->rs_body + rs->rs_len, data, n);
	rs->rs_len += n;
	return size * nmemb;
}

int
main(int argc, char **argv)
{
	struct raw_source *rs;
	long long start, end, warm, cpu0 = 0, good = 0, now;
	int n, secs, i, running, left, counting = 0, next = 0;
	long long round = 0;
	char url[2048];
	CURLMsg *msg;
	CURLM *multi;
	long status;

	if (argc != 4) {
		fprintf(stderr, "usage: rawcurl URL N SECONDS\n");
		return 2;
	}
	n = atoi(argv[2]);
	secs = atoi(argv[3]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 4096L);
	if ((rs = calloc((size_t)n, sizeof *rs)) == NULL)
		return 1;
	start = raw_now_ms();
	for (i = 0; i < n; i++) {
		snprintf(url, sizeof url, "%s?name=s%d", argv[1], i);
		rs[i].rs_easy = curl_easy_init();
		curl_easy_setopt(rs[i].rs_easy, CURLOPT_URL, url);
		curl_easy_setopt(rs[i].rs_easy, CURLOPT_WRITEFUNCTION, raw_write_cb);
		curl_easy_setopt(rs[i].rs_easy, CURLOPT_WRITEDATA, &rs[i]);
		curl_easy_setopt(rs[i].rs_easy, CURLOPT_PRIVATE, &rs[i]);
	}
	/* The first 3 s warm the connections up and are not counted. */
	warm = start + 3000;
	end = warm + (long long)secs * 1000;
	while ((now = raw_now_ms()) < end) {
		if (!counting && now >= warm) {
			counting = 1;
			cpu0 = raw_cpu_ms();
		}
		/* URL i is due at start + i/n s + round s; a URL still
		 * busy skips its slot. */
		while (start + round * 1000 + (long long)next * 1000 / n <= now) {
			if (!rs[next].rs_busy) {
				rs[next].rs_busy = 1;
				rs[next].rs_len = 0;
				curl_multi_add_handle(multi, rs[next].rs_easy);
			}
			if (++next == n) {
				next = 0;
				round++;
			}
		}
		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			struct raw_source *r = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(
			    msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			curl_easy_getinfo(
			    msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			curl_multi_remove_handle(multi, msg->easy_handle);
			if (counting && msg->data.result == CURLE_OK &&
			    status == 200)
				good++;
			r->rs_busy = 0;
		}
		curl_multi_poll(multi, NULL, 0, 1, NULL);
	}
	printf("{\"figure\":\"raw_libcurl\",\"sources\":%d,\"seconds\":%d,"
	       "\"good_polls_per_s\":%.0f,\"cpu_ms_per_1000_polls\":%.1f}\n",
	    n, secs, (double)good / secs,
	    good ? (double)(raw_cpu_ms() - cpu0) * 1000 / (double)good : 0);
	return 0;
}
