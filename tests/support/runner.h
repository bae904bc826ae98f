/*
 * The end of every test program's main(): run a Check suite with the
 * usual output and free the runner.  The suites themselves, and what a
 * program sets up before them, stay in the program.
 */
#ifndef GATHERD_RUNNER_H
#define GATHERD_RUNNER_H

#include <check.h>

/* Runs every test of s (CK_NORMAL), frees it; returns how many failed. */
int runner_run(Suite *s);

#endif
