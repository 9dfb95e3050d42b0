#pragma once
// The control socket protocol between vnetctl and one vnetd (unix stream
// socket, root only, default /run/vnet/vnetd.sock). One request line, one
// response, then the daemon closes the connection:
//
//   request:  "<command>\t<argument>\t<format>\n"
//             command: "stats"; argument: an endpoint name or "" for all;
//             format: "table" | "yaml" | "json"
//   response: "ok\n" followed by the rendered document, or
//             "error\n" followed by a one-line message.

namespace vnet::control {

inline constexpr const char* kDefaultSocket = "/run/vnet/vnetd.sock";

}  // namespace vnet::control
