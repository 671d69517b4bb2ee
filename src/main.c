/* main.c - mreza: the national CSIRT node of the mreža network. See cli/cli.c. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
