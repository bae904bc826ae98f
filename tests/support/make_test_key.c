/*
 * Prints a Google service-account key file, made at run time with a new
 * RSA key, for recipes.test's gatherd -t of a recipe that names one:
 * the tests never keep a private key in git.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fake_token.h"

int
main(void)
{
	char *private_pem, *public_pem, *json;

	if (fake_token_keygen(&private_pem, &public_pem) == -1 ||
	    (json = fake_token_key_json(private_pem,
	         "gatherd-recipes@example.iam.gserviceaccount.com", "k1",
	         "https://oauth2.googleapis.com/token")) == NULL) {
		fprintf(stderr, "make-test-key: cannot make a key\n");
		return 1;
	}
	printf("%s\n", json);
	free(json);
	free(private_pem);
	free(public_pem);
	return 0;
}
