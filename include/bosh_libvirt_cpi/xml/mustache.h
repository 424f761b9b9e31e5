#pragma once

// The one way the project includes kainjow/mustache.hpp.
//
// The header includes <iostream> although it never uses std::cin, std::cout or std::cerr. With
// GCC 12's libstdc++ every translation unit that includes <iostream> constructs an
// std::ios_base::Init when its object is loaded, and the first one builds the C++ locale: ~0.6
// MiB of libstdc++ pages resident in every process that loads the hypervisor module, for
// nothing (BENCHMARKS.md, peak RSS). Its other standard headers are included here, and
// <iostream>'s include guard is set while it is read, so that <iostream> is skipped. A use of
// the standard streams inside it would not compile, so nothing can silently break.
// `ProtocolTest.HypervisorMethodsDoNotBuildTheCppLocale` checks the built executable and module.

#include <cassert>
#include <cctype>
#include <functional>
#include <istream>
#include <memory>
#include <ostream>
#include <sstream>
#include <unordered_map>
#include <vector>

#if defined(__GLIBCXX__) && !defined(_GLIBCXX_IOSTREAM)
#define _GLIBCXX_IOSTREAM 1
#include <kainjow/mustache.hpp>
#undef _GLIBCXX_IOSTREAM
#else
#include <kainjow/mustache.hpp>
#endif
