/* cli/cli_tls.c - `mreza tls pin FILE`: the SPKI pin of a certificate, the form the
 * sync client (and curl's --pinnedpubkey) checks a peer's key against. The pin is
 * what an operator reads out to the operator of another node, so that node can trust
 * this one's key without a CA (docs/federation.md, section 1). The pin is computed by
 * api/tls.c, the module that serves the certificate. */
#include <stdio.h>

#include "api/tls.h"
#include "cli/cli.h"

int cli_tls(struct cli_args *a)
{
    char pin[TLS_PIN_LEN];
    struct mz_error err;

    mz_error_clear(&err);
    if (tls_pin_of_file(a->pos[1], pin, sizeof pin, &err))
        return cli_fail(&err);
    printf("%s\n", pin);
    return CLI_EXIT_OK;
}
