#pragma once
// The dashboard (GET /): one self-contained page, compiled in from dashboard.html.
#include <string_view>

namespace symphony::server::admin {

std::string_view dashboard_html();

}  // namespace symphony::server::admin
