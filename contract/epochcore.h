/* EpochCore contract, C99 umbrella header: the register map (regs.h) and the command-stream
 * format (cmd.h). Freestanding: needs only <stdint.h> and <stddef.h>. */
#ifndef EPOCHCORE_CONTRACT_EPOCHCORE_H
#define EPOCHCORE_CONTRACT_EPOCHCORE_H

#include "epochcore/contract/regs.h"
#include "epochcore/contract/cmd.h"

#endif /* EPOCHCORE_CONTRACT_EPOCHCORE_H */
