// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: the command-line front end of kipc. Subcommands send, recv, ls,
 * info and bench (tools/bench, linked in); kipc(1) documents them all.
 */
#include <signal.h>
#include <string.h>

#include "cli.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
	const char *summary;
};

static void usage_bench(FILE *out)
{
	char *argv[] = { "kipc bench", "--help", NULL };

	fflush(out);
	bench_main(2, argv);
}

static const struct subcommand subcommands[] = {
	{ "send", kipc_cmd_send, kipc_usage_send,
	  "send a file or standard input to a listener" },
	{ "recv", kipc_cmd_recv, kipc_usage_recv,
	  "listen on a name and write what arrives to standard output" },
	{ "ls", kipc_cmd_ls, kipc_usage_ls,
	  "list listeners and connections with their statistics" },
	{ "info", kipc_cmd_info, kipc_usage_info,
	  "driver, limits, and the transport a connect would use" },
	{ "bench", bench_main, usage_bench,
	  "compare kipc with the classic IPC mechanisms" },
};

#define NR_SUBCOMMANDS	(sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
"Usage: kipc COMMAND [ARGS]\n"
"Kernel-assisted shared-memory IPC: move messages between processes.\n"
"\n");
	for (i = 0; i < NR_SUBCOMMANDS; i++)
		fprintf(out, "  %-7s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out,
"  help    this text, or `kipc help COMMAND` for one command's\n"
"\n"
"Example: kipc recv demo > out &  kipc send demo < in  (then cmp in out)\n"
"`kipc COMMAND --help` shows a command's options; man kipc has all.\n");
}

static const struct subcommand *find(const char *name)
{
	size_t i;

	for (i = 0; i < NR_SUBCOMMANDS; i++)
		if (!strcmp(subcommands[i].name, name))
			return &subcommands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct subcommand *sc;

	if (argc < 2) {
		usage(stderr);
		return KIPC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		if (argc > 2) {
			sc = find(argv[2]);
			if (!sc) {
				cli_err(NULL, "no command '%s'", argv[2]);
				return KIPC_EXIT_USAGE;
			}
			sc->usage(stdout);
			return KIPC_EXIT_OK;
		}
		usage(stdout);
		return KIPC_EXIT_OK;
	}
	sc = find(argv[1]);
	if (!sc) {
		cli_err(NULL, "unknown command '%s'", argv[1]);
		usage(stderr);
		return KIPC_EXIT_USAGE;
	}
	/* The bench runs as it does standalone (kipc-bench). */
	if (sc->run == bench_main) {
		argv[1] = "kipc bench";
		return bench_main(argc - 1, argv + 1);
	}
	/* A closed stdout is an error to report, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	/* The subcommand sees itself as argv[0], as getopt expects. */
	return sc->run(argc - 1, argv + 1);
}
