// The interactive console (issue 13, docs/console.md): after boot, a prompt on serial and
// the screen that reads lines from COM1 and the PS/2 keyboard and runs commands.
#pragma once
#include <cstdint>

namespace console {

// From the init task (CPU 0) once the scheduler runs: sets up input (the COM1 receive hook,
// the PS/2 probe) and spawns the console task, an ordinary normal-class task. False (with
// a log line) when it could not start.
bool start(uint64_t usable_memory_bytes);

}  // namespace console
