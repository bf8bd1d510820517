// SPDX-License-Identifier: GPL-2.0
/* kipc-bench: the standalone form of `kipc bench`. */
#include "driver.h"

int main(int argc, char **argv)
{
	return bench_main(argc, argv);
}
