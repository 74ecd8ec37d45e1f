// How the boot loader left the screen: the console's input. A plain type; the multiboot2
// parser fills it in (boot::Framebuffer is this type).
#pragma once
#include <cstdint>

namespace fbcon {

struct FramebufferInfo {
    bool present = false;
    uint64_t phys_addr = 0;
    uint32_t pitch = 0, width = 0, height = 0;
    uint8_t bpp = 0;
    uint8_t type = 0;  // 0 indexed, 1 RGB, 2 EGA text
    uint8_t red_pos = 0, red_size = 0, green_pos = 0, green_size = 0, blue_pos = 0, blue_size = 0;
};

}  // namespace fbcon
