/*
 * The README's recipes as the tests run them: a file of
 * systemd/recipes/ read as it ships, every "https://HOST" in it pointed
 * at the fake upstream as "http://127.0.0.1:PORT/HOST" (where the
 * analytics API fakes of fake_api_*.c answer), and gatherd started on
 * it in process, its secret files read from a credentials directory as
 * under systemd's LoadCredential=.
 */
#ifndef GATHERD_RECIPE_H
#define GATHERD_RECIPE_H

#include "harness.h"

/* Returns the text of systemd/recipes/NAME.conf (caller frees). */
char *recipe_read(const char *name);
/* Returns text with every "https://" URL pointed at up as "UP/HOST/..."
 * (caller frees). */
char *recipe_point(const char *text, const char *up);
/* Returns text with every "interval = ..." line made "interval = every",
 * and nothing else changed (caller frees). */
char *recipe_every(const char *text, const char *every);
/*
 * Starts gatherd on recipe NAME against fu (taken): the recipe pointed
 * at fu, secret files read from creds (set as $CREDENTIALS_DIRECTORY),
 * every interval made every (NULL: as it ships; a test that wants a
 * second poll soon shortens them).
 */
struct harness *recipe_start(struct fake_upstream *fu, const char *name,
    const char *creds, const char *every);
/* Writes text and a newline to the file name in dir, mode 0600; for a
 * secret file of a recipe. */
void recipe_write_secret(const char *dir, const char *name, const char *text);

#endif
