// The command functions of the drivers, for the boot of their chdevs (dev.cpp).
// Layer: dev. Private to the layer.
#pragma once

#include "dev/chdev.hpp"

namespace mkh::dev {

ChdevCommandFn ioc_command_fn();
ChdevCommandFn txt_command_fn();

}  // namespace mkh::dev
