/*
 * The one place the test programs run their Check suite: CK_NORMAL
 * output, the runner freed, the failures counted.
 */
#include <check.h>

#include "runner.h"

/* Runs every test of s (CK_NORMAL), frees it; returns how many failed. */
int
runner_run(Suite *s)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}
