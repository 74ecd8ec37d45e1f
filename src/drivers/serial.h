// COM1 (0x3f8) 16550 UART, polled, 115200 8N1. The log's first and most reliable sink.
#pragma once
#include <cstddef>

namespace serial {
// Programs COM1; when no UART answers the loopback check, output is dropped silently.
void init();
bool present();
// Writes bytes, turning "\n" into "\r\n". Not locked: the console serializes callers.
void write(const char* s, size_t n);
}  // namespace serial
