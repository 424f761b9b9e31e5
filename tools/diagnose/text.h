#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Small text helpers of `bosh-libvirt-cpi-diagnose`; pure, no libvirt, no libguestfs.
namespace cpi::diagnose {

// Whether a libvirt URI names a daemon on this machine (qemu:///system, qemu:///session,
// qemu+unix:///system, with or without a query): only then are the paths libvirt reports (volumes,
// console logs) files this process can open.
bool IsLocalUri(std::string_view uri);

// The last `count` lines of `text` (a final line without '\n' counts as a line).
std::string LastLines(std::string_view text, size_t count);

// `text` made safe for a terminal: '\r' dropped (serial consoles end lines in "\r\n"), other
// control characters except '\n' and '\t' written as \xNN, so a guest cannot move the cursor,
// clear the screen or forge lines in the operator's terminal.
std::string Printable(std::string_view text);

// Drops the partial first line of a chunk read from the middle of a file (everything up to and
// including the first '\n'), unless the chunk has no '\n' at all.
std::string_view FromFirstFullLine(std::string_view chunk);

// "64 KiB", "1.5 MiB", "512 B".
std::string FormatBytes(unsigned long long bytes);

}  // namespace cpi::diagnose
