#pragma once
// "host:port" as the listen options spell it.
#include <cstdint>
#include <string>

namespace symphony::server {

/// Splits "host:port" or "[v6]:port"; false when malformed.
bool parse_host_port(const std::string& text, std::string& host, uint16_t& port);

}  // namespace symphony::server
