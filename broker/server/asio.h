#pragma once
// Include this instead of <boost/asio.hpp>: Boost 1.74's Asio uses std::exchange without including
// <utility>, which GCC 12 in C++20 mode rejects (asio issue 944).
#include <utility>

#include <boost/asio.hpp>
